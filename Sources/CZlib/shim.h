/* zlib, from Debian's zlib1g-dev (tools/install-deps.sh installs it). */
#include <zlib.h>
