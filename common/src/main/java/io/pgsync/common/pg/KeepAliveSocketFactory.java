package io.pgsync.common.pg;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.Properties;

import javax.net.SocketFactory;

import jdk.net.ExtendedSocketOptions;

/**
 * The socket factory pgjdbc opens pgsync's connections with ({@code socketFactory}): TCP keepalive on, with probes
 * after {@value #IDLE_SECONDS} seconds of silence, a third of that apart, so that a connection whose peer is gone
 * (a network partition, a server that died without closing it) fails within a minute or two, not after the
 * operating system's two hours. pgjdbc instantiates it with the connection's properties.
 */
public final class KeepAliveSocketFactory extends SocketFactory {

    /** The connection property holding the idle seconds before the first probe. */
    public static final String IDLE_SECONDS = "pgsyncKeepAliveIdleSeconds";

    private final int idleSeconds;

    public KeepAliveSocketFactory(Properties properties) {
        this.idleSeconds = Integer.parseInt(properties.getProperty(IDLE_SECONDS, "30"));
    }

    @Override
    public Socket createSocket() throws IOException {
        Socket socket = new Socket();
        configure(socket);
        return socket;
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        Socket socket = createSocket();
        socket.bind(new InetSocketAddress(localHost, localPort));
        socket.connect(new InetSocketAddress(host, port));
        return socket;
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        Socket socket = createSocket();
        socket.bind(new InetSocketAddress(localAddress, localPort));
        socket.connect(new InetSocketAddress(address, port));
        return socket;
    }

    private Socket connected(InetSocketAddress address) throws IOException {
        Socket socket = createSocket();
        socket.connect(address);
        return socket;
    }

    /** Keepalive on; the probe times where the platform lets a socket choose them (Linux, macOS). */
    private void configure(Socket socket) throws SocketException {
        socket.setKeepAlive(true);
        try {
            socket.setOption(ExtendedSocketOptions.TCP_KEEPIDLE, idleSeconds);
            socket.setOption(ExtendedSocketOptions.TCP_KEEPINTERVAL, Math.max(1, idleSeconds
                    / SessionSettings.KEEPALIVE_PROBES));
            socket.setOption(ExtendedSocketOptions.TCP_KEEPCOUNT, SessionSettings.KEEPALIVE_PROBES);
        } catch (UnsupportedOperationException | IOException e) {
            // the operating system's keepalive times apply
        }
    }
}
