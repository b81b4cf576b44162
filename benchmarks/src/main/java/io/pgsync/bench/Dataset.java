package io.pgsync.bench;

import java.util.List;
import java.util.Locale;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.testkit.pg.PostgresCluster;

/**
 * The benchmark data: a pgbench-like {@code accounts} table and a mixed-type {@code items} table, loaded once into a
 * template database on the source cluster, from which every run gets an identical copy.
 */
final class Dataset {

    static final int FULL_ACCOUNTS = 1_000_000;
    static final int FULL_ITEMS = 200_000;
    static final int FULL_CHANGES = 300_000;
    static final int CHANGES_PER_TRANSACTION = 10;

    private static final Logger log = LoggerFactory.getLogger(Dataset.class);

    /** The tables as both sides have them; the destination gets them empty. */
    private static final String SCHEMA = """
            CREATE TABLE accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84));
            CREATE TABLE items (
              id int PRIMARY KEY,
              big bigint NOT NULL,
              price numeric(12,2),
              name text,
              updated timestamptz,
              ref uuid,
              doc jsonb,
              active boolean,
              blob bytea
            );
            """;

    private final String template;
    private final int accounts;
    private final int items;
    private final int transactions;
    private long sizeBytes;

    /** @param template name of the template database on the source cluster */
    Dataset(String template, double scale) {
        this(template, scale, scale);
    }

    /**
     * @param scale the tables' size, relative to the full data set
     * @param changeScale the number of W2 changes, relative to the full 300,000
     */
    Dataset(String template, double scale, double changeScale) {
        this.template = template;
        this.accounts = Math.max(1000, (int) Math.round(FULL_ACCOUNTS * scale));
        this.items = Math.max(200, (int) Math.round(FULL_ITEMS * scale));
        this.transactions = Math.max(10, (int) Math.round(FULL_CHANGES * changeScale / CHANGES_PER_TRANSACTION));
    }

    /** Accounts rows 1..n that the load works on; the table also holds the probe row 0. */
    int accounts() {
        return accounts;
    }

    int items() {
        return items;
    }

    /** W2 transactions, {@value #CHANGES_PER_TRANSACTION} row changes each. */
    int transactions() {
        return transactions;
    }

    /** pg_total_relation_size of the source tables (heap, TOAST, indexes), measured on the template. */
    long sizeBytes() {
        return sizeBytes;
    }

    List<TableSpec> tables() {
        return List.of(new TableSpec("accounts", "aid", accounts, accounts + 1L),
                new TableSpec("items", "id", items, items));
    }

    long rows() {
        return tables().stream().mapToLong(TableSpec::rows).sum();
    }

    /**
     * Creates and loads the template database. Rows go in key order, so that a full sync reads them in key order.
     * Accounts row 0 is the probe row the harness writes to (see {@link ProbeRow}); the sequence drives the W2/W3
     * load's sliding window (see {@link ChangeLoad}).
     */
    void createTemplate(PostgresCluster source) {
        long begin = System.nanoTime();
        source.execute("postgres", "DROP DATABASE IF EXISTS " + template);
        source.createDatabase(template);
        source.execute(template, SCHEMA,
                "CREATE SEQUENCE bench_window INCREMENT 2 START 1",
                String.format(Locale.ROOT, "INSERT INTO accounts SELECT aid, (aid - 1) / 100000 + 1, 0, ''"
                        + " FROM generate_series(0, %d) aid", accounts),
                String.format(Locale.ROOT, """
                        INSERT INTO items
                        SELECT i,
                               i::bigint * 1000003,
                               CASE WHEN i %% 10 = 0 THEN NULL ELSE round((i %% 100000) * 1.37, 2) END,
                               'item ' || i || ' ' || md5(i::text),
                               timestamptz '2024-01-01 00:00:00+00' + i * interval '1.5 seconds',
                               md5('u' || i)::uuid,
                               jsonb_build_object('id', i, 'tags', jsonb_build_array('a', i %% 7),
                                                  'note', md5(i::text)),
                               i %% 3 = 0,
                               decode(md5(i::text) || md5((i + 1)::text), 'hex')
                        FROM generate_series(1, %d) i
                        """, items),
                "VACUUM (FREEZE, ANALYZE) accounts",
                "VACUUM (FREEZE, ANALYZE) items");
        sizeBytes = Long.parseLong(source.query(template,
                "SELECT pg_total_relation_size('accounts') + pg_total_relation_size('items')").get(0).get(0));
        log.info("Template database {} loaded: {} accounts + 1 probe row, {} items, {} MB, took {} s", template,
                accounts, items, sizeBytes / 1_000_000, (System.nanoTime() - begin) / 1_000_000_000);
    }

    /** A copy of the template on the source cluster (a file copy, identical for every system and run). */
    void createSource(PostgresCluster source, String database) {
        drop(source, database);
        source.execute("postgres", "CREATE DATABASE " + database + " TEMPLATE " + template + " STRATEGY FILE_COPY");
    }

    /** An empty database with the same tables on the destination cluster. */
    void createDestination(PostgresCluster destination, String database) {
        drop(destination, database);
        destination.createDatabase(database);
        destination.execute(database, SCHEMA);
    }

    static void drop(PostgresCluster cluster, String database) {
        cluster.execute("postgres", "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    }
}
