/* libpq, PostgreSQL's C client, from Debian's libpq-dev (tools/install-deps.sh installs it). */
#include <libpq-fe.h>
