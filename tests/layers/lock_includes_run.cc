// Must not compile: lock/ is below run/.
#include "supervise/run.h"
