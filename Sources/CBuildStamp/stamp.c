#include "CBuildStamp.h"
#include <stddef.h>

// Weak defaults for a build without a stamp; see CBuildStamp.h.
__attribute__((weak)) const char *CBuildStamp_revision(void) { return NULL; }
__attribute__((weak)) const char *CBuildStamp_date(void) { return NULL; }
