package io.pgsync.it;

import java.io.StringWriter;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.layout.PatternLayout;

/**
 * Everything the in-JVM Connect worker logs while it is open, at INFO (pgsync at DEBUG), with stack traces: what an
 * operator's log file would hold.
 */
final class LogCapture implements AutoCloseable {

    private static final String NAME = "pgsync-it-capture";
    /** The package of the test's REST client, whose log lines are the test's own. */
    private static final String TEST_CLIENT = "org.apache.kafka.connect.util.clusters";

    private final StringWriter text = new StringWriter();
    private final LoggerContext context = (LoggerContext) LogManager.getContext(false);
    private final Level rootLevel;
    private final Level pgsyncLevel;

    LogCapture() {
        Configuration configuration = context.getConfiguration();
        WriterAppender appender = WriterAppender.newBuilder().setName(NAME).setTarget(text)
                .setLayout(PatternLayout.newBuilder().withPattern("%p %c - %m%n%throwable").build()).build();
        appender.start();
        configuration.addAppender(appender);
        LoggerConfig root = configuration.getRootLogger();
        LoggerConfig pgsync = configuration.getLoggerConfig("io.pgsync");
        rootLevel = root.getLevel();
        pgsyncLevel = pgsync.getLevel();
        root.addAppender(appender, Level.ALL, null);
        root.setLevel(Level.INFO);
        pgsync.setLevel(Level.DEBUG);
        context.updateLoggers();
    }

    /**
     * What the worker logged so far: without the lines of the test's own REST client ({@code EmbeddedConnect} logs
     * the configs the test PUTs, as an operator's shell would show the body it sends).
     */
    String workerText() {
        String all;
        synchronized (text) {
            all = text.toString();
        }
        StringBuilder worker = new StringBuilder(all.length());
        for (String line : all.split("\n")) {
            if (!line.contains(" " + TEST_CLIENT + ".")) {
                worker.append(line).append('\n');
            }
        }
        return worker.toString();
    }

    @Override
    public void close() {
        Configuration configuration = context.getConfiguration();
        configuration.getRootLogger().removeAppender(NAME);
        configuration.getRootLogger().setLevel(rootLevel);
        configuration.getLoggerConfig("io.pgsync").setLevel(pgsyncLevel);
        context.updateLoggers();
    }
}
