import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;

/**
 * One Elasticsearch 8 node for integration tests, run by services/elasticsearch.ts in Java's
 * source-file mode. Maven Central has the server and its Netty module as jars but no
 * distribution and no launcher that runs as root, so this starts the server's Node itself;
 * services/elasticsearch.ts lays out home/modules/transport-netty4 as the distribution would.
 *
 * Arguments: home directory, HTTP port, transport port.
 */
public class ElasticsearchNode {
    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]);
        Settings settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("cluster.name", "onceflow")
            .put("node.name", "onceflow-1")
            .put("network.host", "127.0.0.1")
            .put("http.port", args[1])
            .put("transport.port", args[2])
            .put("discovery.type", "single-node")
            // The test machine's disk fill level must not turn indices read-only.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .build();
        LogConfigurator.configureESLogging();
        LogConfigurator.configureWithoutConfig(settings);
        // Without a log4j2.properties the root level is ERROR: the log would say nothing of
        // the start-up steps that tell why a node is slow or stuck.
        Configurator.setRootLevel(Level.INFO);
        Environment environment = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> "onceflow-1");
        Node node = new Node(environment);
        node.start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                e.printStackTrace();
            }
            stopped.countDown();
        }));
        System.out.println("elasticsearch node started");
        stopped.await();
    }
}
