package io.pgsync.it;

import io.pgsync.testkit.pg.PostgresCluster;

/** A role to connect as, with its password. */
record PostgresRole(String user, String password) {

    static final PostgresRole SUPERUSER = new PostgresRole(PostgresCluster.SUPERUSER,
            PostgresCluster.SUPERUSER_PASSWORD);
}
