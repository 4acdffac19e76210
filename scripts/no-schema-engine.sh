#!/bin/sh
# Stand-in for Prisma's native schema engine, which offline machines cannot download. `prisma generate` only
# needs the variable to point at an existing file; anything that really calls the engine fails with this line.
echo "no schema engine here: orderstream applies its SQL migrations itself (src/db/migrate.ts)" >&2
exit 1
