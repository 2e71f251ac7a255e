// Must not compile: a layer's private headers are its own.
#include "cgroup/layout.h"
