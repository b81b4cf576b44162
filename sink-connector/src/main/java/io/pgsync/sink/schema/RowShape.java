package io.pgsync.sink.schema;

import java.util.List;

/**
 * What a change record says about its table's columns: enough to create the table or add a missing column. Types
 * are derived only when a column has to be created, so a column whose type pgsync cannot create is fine as long as
 * the destination already has it.
 */
public interface RowShape {

    /** The columns the record carries, in source column order. */
    List<String> columns();

    /**
     * The type to create the column with, e.g. {@code numeric(12,2)}.
     *
     * @throws org.apache.kafka.connect.errors.DataException naming the column when pgsync cannot create its type
     */
    String ddlType(String column);

    /** Whether the column may be NULL. */
    boolean nullable(String column);

    /** The primary-key columns, in key order; empty for a table without key. */
    List<String> keyColumns();
}
