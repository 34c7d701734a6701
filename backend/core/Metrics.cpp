#include "core/Metrics.h"

#include <QLocale>
#include <algorithm>
#include <cmath>
#include <limits>

namespace Metrics {

Histogram::Histogram(std::vector<double> upperBounds)
    : m_bounds(std::move(upperBounds)), m_counts(m_bounds.size() + 1, 0)
{
    std::sort(m_bounds.begin(), m_bounds.end());
}

void Histogram::observe(double value)
{
    const auto at = std::lower_bound(m_bounds.begin(), m_bounds.end(), value);
    ++m_counts[size_t(at - m_bounds.begin())];
    ++m_count;
    m_sum += value;
}

void Histogram::reset()
{
    std::fill(m_counts.begin(), m_counts.end(), 0);
    m_count = 0;
    m_sum = 0;
}

QByteArray Exposition::number(double value)
{
    if (std::isinf(value))
        return value > 0 ? "+Inf" : "-Inf";
    if (std::isnan(value))
        return "NaN";
    if (value == std::floor(value) && std::abs(value) < 1e15)
        return QByteArray::number(qint64(value));
    return QByteArray::number(value, 'g', QLocale::FloatingPointShortest);
}

QByteArray Exposition::escapeLabel(const QByteArray &value)
{
    QByteArray out;
    out.reserve(value.size());
    for (const char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

void Exposition::header(const QByteArray &name, const QByteArray &help, const char *type)
{
    m_text += "# HELP " + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n';
}

void Exposition::counter(const QByteArray &name, const QByteArray &help, quint64 value)
{
    header(name, help, "counter");
    m_text += name + ' ' + QByteArray::number(value) + '\n';
}

void Exposition::counters(const QByteArray &name, const QByteArray &help, const QByteArray &label,
                          const QList<LabelledValue> &values)
{
    header(name, help, "counter");
    for (const LabelledValue &v : values)
        m_text += name + '{' + label + "=\"" + escapeLabel(v.first) + "\"} " +
                  QByteArray::number(v.second) + '\n';
}

void Exposition::gauge(const QByteArray &name, const QByteArray &help, double value,
                       const QByteArray &labels)
{
    header(name, help, "gauge");
    m_text +=
        name + (labels.isEmpty() ? QByteArray() : '{' + labels + '}') + ' ' + number(value) + '\n';
}

void Exposition::gauges(const QByteArray &name, const QByteArray &help, const QByteArray &label,
                        const QList<QPair<QByteArray, double>> &values)
{
    header(name, help, "gauge");
    for (const auto &[value, sample] : values)
        m_text += name + '{' + label + "=\"" + escapeLabel(value) + "\"} " + number(sample) + '\n';
}

void Exposition::histogram(const QByteArray &name, const QByteArray &help,
                           const Histogram &histogram)
{
    header(name, help, "histogram");
    quint64 cumulative = 0;
    const std::vector<double> &bounds = histogram.upperBounds();
    for (size_t i = 0; i <= bounds.size(); ++i) {
        cumulative += histogram.bucketCounts()[i];
        const double le = i < bounds.size() ? bounds[i] : std::numeric_limits<double>::infinity();
        m_text +=
            name + "_bucket{le=\"" + number(le) + "\"} " + QByteArray::number(cumulative) + '\n';
    }
    m_text += name + "_sum " + number(histogram.sum()) + '\n';
    m_text += name + "_count " + QByteArray::number(histogram.count()) + '\n';
}

} // namespace Metrics
