// Compiles: what the lock layer may include (its own public header and those below it).
#include "supervise/cgroup.h"
#include "supervise/lock.h"
#include "supervise/record.h"
#include "supervise/sys/files.h"
