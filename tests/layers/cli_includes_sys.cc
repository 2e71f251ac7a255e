// Must not compile: the CLI sees only the public headers of the layers it uses, never sys/.
#include "supervise/sys/files.h"
