package io.pgsync.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** The loopback address the test kit's servers listen on, and free ports there. */
public final class Loopback {

    /** The address every server of the test kit binds to. */
    public static final String HOST = "127.0.0.1";

    private Loopback() {
    }

    /** A port on {@link #HOST} that no one listens on now. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot find a free port on " + HOST, e);
        }
    }
}
