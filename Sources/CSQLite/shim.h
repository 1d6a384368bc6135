/* SQLite 3, from Debian's libsqlite3-dev (tools/install-deps.sh installs it). */
#include <sqlite3.h>
