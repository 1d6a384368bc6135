/* libnuma, from Debian's libnuma-dev (tools/setup.sh installs it). */
#include <numa.h>
