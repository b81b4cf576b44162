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
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName bean = new ObjectName("kafka.connect:type=pgsync-sink-metrics,connector=" + ObjectName.quote(connector)
                + ",task=" + task);
        if (!server.isRegistered(bean)) {
            bean = new ObjectName("kafka.connect:type=pgsync-sink-metrics,connector=" + connector + ",task=" + task);
        }
        return ((Number) server.getAttribute(bean, name)).doubleValue();
    }
}
