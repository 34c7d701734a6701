#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <atomic>
#include <vector>

// Prometheus instruments and the text exposition format 0.0.4 (docs/feed.md, "Metrics"),
// written by hand: a counter is one relaxed atomic increment, so hot paths stay cheap.
namespace Metrics {

class Counter {
public:
    void inc(quint64 by = 1) { m_value.fetch_add(by, std::memory_order_relaxed); }
    quint64 value() const { return m_value.load(std::memory_order_relaxed); }
    void reset() { m_value.store(0, std::memory_order_relaxed); }

private:
    std::atomic<quint64> m_value{0};
};

class Gauge {
public:
    void set(qint64 value) { m_value.store(value, std::memory_order_relaxed); }
    qint64 value() const { return m_value.load(std::memory_order_relaxed); }

private:
    std::atomic<qint64> m_value{0};
};

// Cumulative buckets with fixed upper bounds (seconds); observed from the event loop's thread.
class Histogram {
public:
    explicit Histogram(std::vector<double> upperBounds);
    void observe(double value);
    void reset();
    const std::vector<double> &upperBounds() const { return m_bounds; }
    const std::vector<quint64> &bucketCounts() const { return m_counts; } // not cumulative
    quint64 count() const { return m_count; }
    double sum() const { return m_sum; }

private:
    std::vector<double> m_bounds;
    std::vector<quint64> m_counts;
    quint64 m_count = 0;
    double m_sum = 0;
};

// Builds one scrape: each family gets its # HELP and # TYPE lines, then its samples.
class Exposition {
public:
    using LabelledValue = QPair<QByteArray, quint64>; // label value, counter value

    void counter(const QByteArray &name, const QByteArray &help, quint64 value);
    // One sample per label value, e.g. name{reason="die"}.
    void counters(const QByteArray &name, const QByteArray &help, const QByteArray &label,
                  const QList<LabelledValue> &values);
    void gauge(const QByteArray &name, const QByteArray &help, double value,
               const QByteArray &labels = {});
    // One sample per label value, e.g. name{backend="portolan_web"}.
    void gauges(const QByteArray &name, const QByteArray &help, const QByteArray &label,
                const QList<QPair<QByteArray, double>> &values);
    void histogram(const QByteArray &name, const QByteArray &help, const Histogram &histogram);
    QByteArray text() const { return m_text; }

    // A float as Prometheus reads it: "+Inf", integers without a fraction.
    static QByteArray number(double value);
    // A label value with \, " and newline escaped.
    static QByteArray escapeLabel(const QByteArray &value);

private:
    void header(const QByteArray &name, const QByteArray &help, const char *type);
    QByteArray m_text;
};

constexpr const char *ContentType = "text/plain; version=0.0.4; charset=utf-8";

} // namespace Metrics
