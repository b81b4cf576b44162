package io.pgsync.sink;

import java.util.Collection;
import java.util.Map;

import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.common.Version;
import io.pgsync.sink.apply.ChangeApplier;

/** Sink task: hands each batch Connect delivers to the apply engine, which writes it in one transaction. */
public class PgSyncSinkTask extends SinkTask {

    private static final Logger log = LoggerFactory.getLogger(PgSyncSinkTask.class);

    private ChangeApplier applier;

    @Override
    public void start(Map<String, String> props) {
        PgSyncSinkConfig config = new PgSyncSinkConfig(props);
        applier = new ChangeApplier(config.connectionUrl(), config.connectionProperties(), config.tableCreateEnabled());
        log.info("pgsync sink task started, writing to {}", config.connectionUrl());
    }

    @Override
    public void put(Collection<SinkRecord> records) {
        if (!records.isEmpty()) {
            applier.apply(records);
        }
    }

    @Override
    public void stop() {
        if (applier != null) {
            applier.close();
            applier = null;
        }
    }

    @Override
    public String version() {
        return Version.get();
    }
}
