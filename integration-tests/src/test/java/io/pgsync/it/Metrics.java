package io.pgsync.it;

import java.lang.management.ManagementFactory;

import javax.management.MBeanServer;
import javax.management.ObjectName;

/** Reads the connectors' JMX metrics, as a monitoring agent attached to the worker would. */
final class Metrics {

    private Metrics() {
    }

    /** Returns a {@code pgsync-sink-metrics} attribute of a sink task, e.g. {@code rows-applied-total}. */
    static double sinkMetric(String connector, int task, String name) throws Exception {
        return metric("pgsync-sink-metrics", connector, task, name);
    }

    /** Returns a {@code pgsync-source-metrics} attribute of a source task, e.g. {@code ddl-messages-rejected-total}. */
    static double sourceMetric(String connector, int task, String name) throws Exception {
        return metric("pgsync-source-metrics", connector, task, name);
    }

    private static double metric(String group, String connector, int task, String name) throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName bean = new ObjectName("kafka.connect:type=" + group + ",connector=" + ObjectName.quote(connector)
                + ",task=" + task);
        if (!server.isRegistered(bean)) {
            bean = new ObjectName("kafka.connect:type=" + group + ",connector=" + connector + ",task=" + task);
        }
        return ((Number) server.getAttribute(bean, name)).doubleValue();
    }
}
