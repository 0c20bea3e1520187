package io.sparklineage.neo4j;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.configuration.ssl.ClientAuth;
import org.neo4j.configuration.ssl.SslPolicyConfig;
import org.neo4j.configuration.ssl.SslPolicyScope;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;

/**
 * A real Neo4j 5.26 Community server for local use, started through Neo4j's embedded
 * {@link DatabaseManagementServiceBuilder} with the Bolt connector on 127.0.0.1.
 *
 * <p>Why embedded rather than the Neo4j tarball: everything comes from Maven Central (which is
 * reachable from CI and from these machines, unlike neo4j.com and Docker Hub), and the server is
 * still the real kernel, Cypher runtime, Bolt server and authentication; only the packaging
 * differs.
 *
 * <p>Command line (all optional):
 *
 * <pre>
 *   --data DIR           database files (default .neo4j/data); logs go to DIR/../logs
 *   --bolt-port P        Bolt port on 127.0.0.1 (default 7687)
 *   --http-port H        also enable the HTTP connector on 127.0.0.1:H (only serves if the
 *                        Neo4j web server module is on the classpath; see docs/neo4j.md)
 *   --tls DIR            enable TLS for Bolt with DIR/private.key and DIR/public.crt
 *   --tls-level L        OPTIONAL (default with --tls: plain and TLS on one port) or REQUIRED
 *   --extra-user NAME    create user NAME if missing (password from env NEO4J_EXTRA_USER_PASSWORD)
 *   --reset-password     set the neo4j user's password to NEO4J_PASSWORD even if already set
 *   --page-cache SIZE    page cache, e.g. 256m (default 256m)
 * </pre>
 *
 * <p>The password of user {@code neo4j} comes from env {@code NEO4J_PASSWORD} (default
 * {@code spark-lineage}); it is set through the system database on first start (when the user
 * still has the initial "must change" password) and left alone afterwards, so that a password
 * changed by a user survives restarts. Passwords are never printed.
 *
 * <p>Prints {@code neo4j ready bolt://127.0.0.1:P} once Bolt accepts TCP connections, and shuts
 * down cleanly on SIGTERM/SIGINT (JVM shutdown hook).
 */
public final class LocalNeo4j {

    static final String DEFAULT_PASSWORD = "spark-lineage";

    private LocalNeo4j() {}

    /** Parsed command line. */
    record Options(
            Path dataDir,
            int boltPort,
            Integer httpPort,
            Path tlsDir,
            BoltConnector.EncryptionLevel tlsLevel,
            List<String> extraUsers,
            boolean resetPassword,
            long pageCacheBytes) {}

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
            return;
        }
        long started = System.nanoTime();
        DatabaseManagementService service = start(options);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    log("stopping");
                                    try {
                                        service.shutdown();
                                    } finally {
                                        log("stopped");
                                        stopped.countDown();
                                    }
                                },
                                "neo4j-shutdown"));
        try {
            setUpUsers(service, options);
            waitForBolt(options.boltPort(), Duration.ofSeconds(60));
        } catch (Exception e) {
            System.err.println("error: " + e);
            System.exit(1);
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        log("started in " + millis + " ms");
        // With TLS REQUIRED only bolt+ssc:// (or bolt+s:// trusting the certificate) connects;
        // with OPTIONAL both bolt:// and bolt+ssc:// do, on the same port.
        boolean tlsOnly =
                options.tlsDir() != null
                        && options.tlsLevel() == BoltConnector.EncryptionLevel.REQUIRED;
        System.out.println(
                "neo4j ready " + (tlsOnly ? "bolt+ssc" : "bolt") + "://127.0.0.1:"
                        + options.boltPort()
                        + (options.tlsDir() != null ? " tls=" + options.tlsLevel() : ""));
        System.out.flush();
        stopped.await();
    }

    static DatabaseManagementService start(Options o) throws IOException {
        Path data = o.dataDir().toAbsolutePath().normalize();
        Path home = data.getParent();
        Files.createDirectories(data);
        Path logs = home.resolve("logs");
        Files.createDirectories(logs);

        DatabaseManagementServiceBuilder builder =
                new DatabaseManagementServiceBuilder(home)
                        .setConfig(GraphDatabaseSettings.data_directory, data)
                        .setConfig(GraphDatabaseSettings.logs_directory, logs)
                        .setConfig(GraphDatabaseSettings.auth_enabled, true)
                        // A local dev/test server: no anonymous usage reports to neo4j.com.
                        .setConfig(GraphDatabaseSettings.udc_enabled, false)
                        // Bolt otherwise waits 2 x 5 s on shutdown for idle connections/threads;
                        // a local server should stop within a couple of seconds of SIGTERM.
                        .setConfig(
                                BoltConnectorInternalSettings.connection_shutdown_wait_time,
                                Duration.ofSeconds(1))
                        .setConfig(
                                BoltConnectorInternalSettings.thread_pool_shutdown_wait_time,
                                Duration.ofSeconds(1))
                        .setConfig(GraphDatabaseSettings.pagecache_memory, o.pageCacheBytes())
                        .setConfig(BoltConnector.enabled, true)
                        .setConfig(
                                BoltConnector.listen_address,
                                new SocketAddress("127.0.0.1", o.boltPort()))
                        .setConfig(
                                BoltConnector.advertised_address,
                                new SocketAddress("127.0.0.1", o.boltPort()));
        if (o.httpPort() != null) {
            builder.setConfig(HttpConnector.enabled, true)
                    .setConfig(
                            HttpConnector.listen_address,
                            new SocketAddress("127.0.0.1", o.httpPort()))
                    .setConfig(
                            HttpConnector.advertised_address,
                            new SocketAddress("127.0.0.1", o.httpPort()));
        }
        if (o.tlsDir() != null) {
            Path tls = o.tlsDir().toAbsolutePath().normalize();
            for (String f : List.of("private.key", "public.crt")) {
                if (!Files.isRegularFile(tls.resolve(f))) {
                    throw new IllegalArgumentException("missing TLS file " + tls.resolve(f));
                }
            }
            Files.createDirectories(tls.resolve("trusted"));
            Files.createDirectories(tls.resolve("revoked"));
            SslPolicyConfig bolt = SslPolicyConfig.forScope(SslPolicyScope.BOLT);
            builder.setConfig(bolt.enabled, true)
                    .setConfig(bolt.base_directory, tls)
                    .setConfig(bolt.private_key, tls.resolve("private.key"))
                    .setConfig(bolt.public_certificate, tls.resolve("public.crt"))
                    .setConfig(bolt.client_auth, ClientAuth.NONE)
                    .setConfig(BoltConnector.encryption_level, o.tlsLevel());
        } else {
            builder.setConfig(
                    BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED);
        }
        log(
                "starting Neo4j 5.26 Community: data=" + data + " bolt=127.0.0.1:" + o.boltPort()
                        + (o.httpPort() != null ? " http=127.0.0.1:" + o.httpPort() : "")
                        + (o.tlsDir() != null ? " tls=" + o.tlsLevel() : "")
                        + " logs=" + logs);
        return builder.build();
    }

    /**
     * Sets the neo4j user's password on first start and creates extra users, through the system
     * database. Embedded transactions run with full rights, so no login is needed here.
     */
    static void setUpUsers(DatabaseManagementService service, Options o) {
        GraphDatabaseService system = service.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        String password = envOr("NEO4J_PASSWORD", DEFAULT_PASSWORD);
        boolean initial =
                system.executeTransactionally(
                        "SHOW USERS YIELD user, passwordChangeRequired "
                                + "WHERE user = 'neo4j' RETURN passwordChangeRequired",
                        Map.of(),
                        result -> result.hasNext() && (Boolean) result.next().get("passwordChangeRequired"));
        if (initial || o.resetPassword()) {
            try {
                system.executeTransactionally(
                        "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                        Map.of("password", password));
                log("password of user neo4j set from NEO4J_PASSWORD"
                        + (System.getenv("NEO4J_PASSWORD") == null ? " (default)" : ""));
            } catch (RuntimeException e) {
                // Setting the password it already has is refused by Neo4j; that is the state
                // we want, so it is not an error (keeps --reset-password idempotent).
                if (!String.valueOf(e.getMessage()).contains("Old password and new password cannot be the same")) {
                    throw e;
                }
                log("password of user neo4j already as requested");
            }
        } else {
            log("user neo4j keeps its stored password (use --reset-password to overwrite)");
        }
        for (String user : o.extraUsers()) {
            String userPassword = System.getenv("NEO4J_EXTRA_USER_PASSWORD");
            if (userPassword == null || userPassword.isEmpty()) {
                throw new IllegalArgumentException(
                        "--extra-user needs env NEO4J_EXTRA_USER_PASSWORD");
            }
            system.executeTransactionally(
                    "CREATE USER $user IF NOT EXISTS SET PASSWORD $password CHANGE NOT REQUIRED",
                    Map.of("user", user, "password", userPassword));
            log("user " + user + " present");
        }
    }

    static void waitForBolt(int port, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("Bolt did not accept connections on port " + port, e);
                }
                Thread.sleep(100);
            }
        }
    }

    static Options parse(String[] args) {
        Path data = Path.of(".neo4j", "data");
        int bolt = 7687;
        Integer http = null;
        Path tls = null;
        BoltConnector.EncryptionLevel level = BoltConnector.EncryptionLevel.OPTIONAL;
        List<String> users = new ArrayList<>();
        boolean reset = false;
        long pageCache = ByteUnit.mebiBytes(256);
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--data" -> data = Path.of(value(args, ++i, a));
                case "--bolt-port" -> bolt = port(value(args, ++i, a));
                case "--http-port" -> http = port(value(args, ++i, a));
                case "--tls" -> tls = Path.of(value(args, ++i, a));
                case "--tls-level" -> {
                    String v = value(args, ++i, a).toUpperCase(Locale.ROOT);
                    if (!v.equals("OPTIONAL") && !v.equals("REQUIRED")) {
                        throw new IllegalArgumentException("--tls-level must be OPTIONAL or REQUIRED");
                    }
                    level = BoltConnector.EncryptionLevel.valueOf(v);
                }
                case "--extra-user" -> users.add(value(args, ++i, a));
                case "--reset-password" -> reset = true;
                case "--page-cache" -> pageCache = ByteUnit.parse(value(args, ++i, a));
                case "--help", "-h" -> {
                    System.out.println(
                            "usage: LocalNeo4j [--data DIR] [--bolt-port P] [--http-port H] [--tls DIR"
                                    + " [--tls-level OPTIONAL|REQUIRED]] [--extra-user NAME]"
                                    + " [--reset-password] [--page-cache 256m]");
                    System.exit(0);
                }
                default -> throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        return new Options(data, bolt, http, tls, level, List.copyOf(users), reset, pageCache);
    }

    private static String value(String[] args, int i, String name) {
        if (i >= args.length) {
            throw new IllegalArgumentException(name + " needs a value");
        }
        return args[i];
    }

    private static int port(String text) {
        try {
            int p = Integer.parseInt(text);
            if (p < 1 || p > 65535) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a port: " + text);
        }
    }

    private static String envOr(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? fallback : v;
    }

    private static void log(String message) {
        System.out.println("[local-neo4j] " + message);
        System.out.flush();
    }
}
