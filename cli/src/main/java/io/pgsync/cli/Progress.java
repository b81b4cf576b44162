package io.pgsync.cli;

import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Map;

import io.pgsync.common.pg.TableRef;

/**
 * What {@code pgsync run} shows: the phase as it changes; during the schema and full sync a progress bar per table
 * (rows at the destination of the source's total, rows/s, ETA); then the incremental sync's lag and throughput. On a
 * terminal the bars are redrawn in place; otherwise a block is printed every few seconds.
 *
 * <p>Example: {@code public.orders  [##########----------]   12000/25000  5400 rows/s  ETA 2 s}.
 */
final class Progress {

    /** The sink's row of {@code pgsync.status}. */
    record Status(String phase, long lagMs, long rowsApplied, String lastError) {
    }

    private static final int BAR = 20;
    private static final long PRINT_EVERY_MS = 3000;

    private final PrintWriter out;
    private final Map<TableRef, Long> totals;
    private final boolean terminal = System.console() != null;
    private final Map<TableRef, Long> previous = new HashMap<>();
    private String phase;
    private String lastError;
    private long previousAtMs;
    private long previousRows = -1;
    private long printedAtMs;
    private int drawnLines;

    Progress(PrintWriter out, Map<TableRef, Long> totals) {
        this.out = out;
        this.totals = totals;
    }

    void show(Status status, Map<TableRef, Long> counts) {
        long now = System.currentTimeMillis();
        String current = status == null || status.phase() == null ? "schema" : status.phase();
        if (!current.equals(phase)) {
            if (current.equals("incremental") && phase != null) {
                redraw(tables(counts, now));
            }
            drawnLines = 0;
            out.println(switch (current) {
                case "schema" -> "Schema sync: creating the selected tables and the objects of their schemas";
                case "full" -> "Full sync: copying " + totals.size() + " table(s)";
                default -> "Incremental sync: streaming changes (Ctrl-C stops; run again to resume)";
            });
            phase = current;
            printedAtMs = 0;
        }
        if (status != null && status.lastError() != null && !status.lastError().equals(lastError)) {
            out.println("Last error at the destination: " + status.lastError());
            lastError = status.lastError();
        }
        boolean due = terminal || now - printedAtMs >= PRINT_EVERY_MS;
        if (!due) {
            out.flush();
            return;
        }
        if (current.equals("incremental")) {
            long rows = status.rowsApplied();
            double perSecond = previousRows < 0 || now == previousAtMs ? 0
                    : (rows - previousRows) * 1000.0 / (now - previousAtMs);
            redraw(String.format("  lag %s, %.0f rows/s, %d rows applied%n", status.lagMs() < 0 ? "-"
                    : status.lagMs() + " ms", perSecond, rows));
            previousRows = rows;
        } else {
            redraw(tables(counts, now));
        }
        previousAtMs = now;
        printedAtMs = now;
        out.flush();
    }

    /** One progress bar per table: rows at the destination of the source's total, rows/s, ETA. */
    private String tables(Map<TableRef, Long> counts, long now) {
        StringBuilder block = new StringBuilder();
        int width = totals.keySet().stream().mapToInt(t -> t.toString().length()).max().orElse(5);
        for (Map.Entry<TableRef, Long> entry : totals.entrySet()) {
            long total = entry.getValue();
            long done = Math.min(counts.getOrDefault(entry.getKey(), 0L), Math.max(total, 0));
            Long before = previous.put(entry.getKey(), done);
            double perSecond = before == null || now == previousAtMs ? 0
                    : (done - before) * 1000.0 / (now - previousAtMs);
            int filled = total == 0 ? BAR : (int) (BAR * done / total);
            String eta = perSecond > 0 && done < total
                    ? String.format("ETA %d s", (long) Math.ceil((total - done) / perSecond))
                    : done >= total ? "done" : "";
            block.append(String.format("  %-" + width + "s  [%s%s]  %9d/%-9d %8.0f rows/s  %s%n",
                    entry.getKey(), "#".repeat(filled), "-".repeat(BAR - filled), done, total, perSecond, eta));
        }
        return block.toString();
    }

    /** On a terminal, moves up over the last block and overwrites it; else prints the block below. */
    private void redraw(String block) {
        if (terminal && drawnLines > 0) {
            out.print("\033[" + drawnLines + "F\033[J");
        }
        out.print(block);
        drawnLines = (int) block.lines().count();
    }
}
