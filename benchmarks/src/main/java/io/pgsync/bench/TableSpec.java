package io.pgsync.bench;

/**
 * A benchmark table as the harness checks it on the destination.
 *
 * @param name table name in schema public
 * @param keyColumn the single-column primary key
 * @param lastKey the key of the row that the full sync copies last (source rows are in key order on disk)
 * @param rows how many rows the table has before W2
 */
record TableSpec(String name, String keyColumn, long lastKey, long rows) {

    String qualifiedName() {
        return "public." + name;
    }
}
