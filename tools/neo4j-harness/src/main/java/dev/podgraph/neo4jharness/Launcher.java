package dev.podgraph.neo4jharness;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.harness.Neo4j;
import org.neo4j.harness.Neo4jBuilders;

/**
 * Starts an in-process Neo4j server for integration tests.
 *
 * <p>Bolt listens on a loopback address only, with authentication on: the user is
 * {@code neo4j} and the password comes from {@code --password} or the
 * {@code NEO4J_PASSWORD} environment variable. HTTP is off. Once the server accepts Bolt
 * connections the launcher prints one line, {@code neo4j-harness ready bolt://HOST:PORT},
 * and keeps running until SIGTERM or SIGINT; with {@code --stop-on-stdin-eof} it also stops
 * when its standard input is closed, so it never outlives a parent that holds the pipe.
 * The database lives in a fresh temporary directory that is deleted on stop.
 */
public final class Launcher {
    private static final String USAGE = String.join("\n",
            "usage: Launcher [--host HOST] [--port PORT] [--password PASSWORD]",
            "                [--page-cache SIZE] [--stop-on-stdin-eof]",
            "  --host               Bolt listen address, loopback only (default 127.0.0.1)",
            "  --port               Bolt port (default 7687; 0 picks a free port)",
            "  --password           password of the neo4j user, at least 8 characters",
            "                       (default: the NEO4J_PASSWORD environment variable)",
            "  --page-cache         page cache size, such as 256m (default 256m)",
            "  --stop-on-stdin-eof  stop when standard input is closed");

    private Launcher() {
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("neo4j-harness: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }

        Path workDir = Files.createTempDirectory("podgraph-neo4j-harness");
        Neo4j neo4j = Neo4jBuilders.newInProcessBuilder(workDir)
                .withDisabledServer()
                .withConfig(BoltConnector.enabled, true)
                .withConfig(BoltConnector.listen_address, new SocketAddress(options.host, options.port))
                .withConfig(BoltConnector.advertised_address, new SocketAddress(options.host, options.port))
                .withConfig(HttpConnector.enabled, false)
                .withConfig(HttpsConnector.enabled, false)
                .withConfig(GraphDatabaseSettings.auth_enabled, true)
                .withConfig(GraphDatabaseSettings.pagecache_memory, options.pageCache())
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            neo4j.close();
            stopped.countDown();
        }, "neo4j-harness-shutdown"));

        setPassword(neo4j, options.password);

        InetSocketAddress bolt = new InetSocketAddress(neo4j.boltURI().getHost(), neo4j.boltURI().getPort());
        System.out.println("neo4j-harness ready bolt://" + bolt.getHostString() + ":" + bolt.getPort()
                + " version " + serverVersion(neo4j));
        System.out.flush();

        if (options.stopOnStdinEof) {
            waitForEndOfInput(System.in);
            System.exit(0);
        }
        stopped.await();
    }

    /**
     * Replaces the initial password of the {@code neo4j} user. Embedded transactions run
     * with full access, so no Bolt login (and no forced password change) is needed.
     */
    private static void setPassword(Neo4j neo4j, String password) {
        GraphDatabaseService system = neo4j.databaseManagementService()
                .database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        system.executeTransactionally(
                "ALTER USER neo4j SET PLAINTEXT PASSWORD $password CHANGE NOT REQUIRED",
                Map.of("password", password));
    }

    private static String serverVersion(Neo4j neo4j) {
        return neo4j.defaultDatabaseService().executeTransactionally(
                "CALL dbms.components() YIELD versions RETURN versions[0] AS version",
                Map.of(),
                result -> result.hasNext() ? String.valueOf(result.next().get("version")) : "unknown");
    }

    private static void waitForEndOfInput(InputStream input) throws IOException {
        byte[] buffer = new byte[256];
        while (input.read(buffer) >= 0) {
            // Discard input; only its end matters.
        }
    }

    /** Command-line options. */
    private static final class Options {
        String host = "127.0.0.1";
        int port = 7687;
        String password = System.getenv("NEO4J_PASSWORD");
        String pageCache = "256m";
        boolean stopOnStdinEof;

        static Options parse(String[] args) {
            Options options = new Options();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                switch (arg) {
                    case "--host" -> options.host = value(args, ++i, arg);
                    case "--port" -> options.port = parsePort(value(args, ++i, arg));
                    case "--password" -> options.password = value(args, ++i, arg);
                    case "--page-cache" -> options.pageCache = value(args, ++i, arg);
                    case "--stop-on-stdin-eof" -> options.stopOnStdinEof = true;
                    default -> throw new IllegalArgumentException("unknown argument `" + arg + "`");
                }
            }
            if (!isLoopback(options.host)) {
                throw new IllegalArgumentException("--host must be a loopback address, not `" + options.host + "`");
            }
            if (options.password == null || options.password.length() < 8) {
                throw new IllegalArgumentException(
                        "missing password: pass --password or set NEO4J_PASSWORD (at least 8 characters)");
            }
            return options;
        }

        Long pageCache() {
            String text = pageCache.trim().toLowerCase();
            long unit = 1;
            if (text.endsWith("k")) {
                unit = 1024L;
            } else if (text.endsWith("m")) {
                unit = 1024L * 1024;
            } else if (text.endsWith("g")) {
                unit = 1024L * 1024 * 1024;
            }
            String digits = unit == 1 ? text : text.substring(0, text.length() - 1);
            try {
                return Long.parseLong(digits) * unit;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid --page-cache `" + pageCache + "`; expected a size such as 256m");
            }
        }

        private static String value(String[] args, int index, String name) {
            if (index >= args.length) {
                throw new IllegalArgumentException(name + " needs a value");
            }
            return args[index];
        }

        private static int parsePort(String text) {
            try {
                int port = Integer.parseInt(text);
                if (port < 0 || port > 65535) {
                    throw new NumberFormatException();
                }
                return port;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid --port `" + text + "`; expected 0 to 65535");
            }
        }

        private static boolean isLoopback(String host) {
            return host.equals("localhost") || host.equals("::1") || host.startsWith("127.");
        }
    }
}
