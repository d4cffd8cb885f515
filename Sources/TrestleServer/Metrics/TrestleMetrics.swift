import Hummingbird
import Metrics
import Prometheus
import TrestleCore
import TrestleStore

/// The process's metrics: swift-metrics bootstrapped once with swift-prometheus's factory, whose
/// registry `/metrics` writes out in Prometheus' text format. Metric and label names keep to
/// Prometheus' alphabet (Hummingbird's `hb.requests` is `hb_requests`).
public enum TrestleMetrics {
    public static let registry = PrometheusCollectorRegistry()

    private static let bootstrapped: Void = {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { label, dimensions in
            (sanitized(label), dimensions.map { (sanitized($0.0), $0.1) })
        }
        MetricsSystem.bootstrap(factory)
    }()

    /// Once a process: swift-metrics takes one bootstrap (tests build many servers in one process).
    public static func bootstrap() {
        _ = bootstrapped
    }

    static func sanitized(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" ? $0 : "_" })
    }
}

/// `GET /metrics`: the registry in Prometheus' text format, to tokens with the `metrics` scope
/// (or `admin`).
enum MetricsRoute {
    static let path = "/metrics"

    static func register(on router: Router<TrestleRequestContext>, store: any TaskStore, now: @escaping @Sendable () -> Int64) {
        router.get("metrics") { _, context in
            // Read at each scrape: the inbox's backlog and how far behind the processor is.
            do {
                let backlog = try await store.deliveryBacklog()
                Gauge(label: "trestle_webhook_pending_deliveries").record(backlog.pending)
                Gauge(label: "trestle_webhook_processor_lag_seconds").record(backlog.oldestReceivedTime.map { max(0, now() - $0) } ?? 0)
            } catch {
                context.logger.warning("cannot read the webhook backlog for /metrics", metadata: ["reason": "\(error)"])
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: TrestleMetrics.registry.emitToBuffer())))
        }
    }
}
