#include "cluster/EtcdClusterSource.h"

#include "cluster/ClusterState.h"
#include "core/LogCategories.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>
#include <algorithm>

namespace {
QString inSeconds(int ms)
{
    if (ms < 1000)
        return QStringLiteral("%1 ms").arg(ms);
    return QStringLiteral("%1 s").arg(ms / 1000.0, 0, 'g', 2);
}
} // namespace

EtcdClusterSource::EtcdClusterSource(EtcdClient *client, ClusterState *state, QObject *parent)
    : EtcdClusterSource(client, state, Options(), parent)
{
}

EtcdClusterSource::EtcdClusterSource(EtcdClient *client, ClusterState *state,
                                     const Options &options, QObject *parent)
    : QObject(parent), m_client(client), m_state(state), m_reader(state), m_options(options),
      m_prefix(m_reader.keyspace().root().toUtf8()), m_retryTimer(new QTimer(this)),
      m_probeTimer(new QTimer(this))
{
    m_retryTimer->setSingleShot(true);
    connect(m_retryTimer, &QTimer::timeout, this, &EtcdClusterSource::connectNow);
    m_probeTimer->setInterval(m_options.probeIntervalMs);
    connect(m_probeTimer, &QTimer::timeout, this, &EtcdClusterSource::probe);
}

EtcdClusterSource::~EtcdClusterSource()
{
    dropStream();
}

QString EtcdClusterSource::where() const
{
    const QString endpoint =
        m_streamEndpoint.isEmpty() && m_client ? m_client->currentEndpoint() : m_streamEndpoint;
    return QStringLiteral("etcd at ") + EtcdClient::displayName(endpoint);
}

bool EtcdClusterSource::isNoLeader(const QString &message)
{
    return message.contains(QLatin1String("no leader"));
}

QString EtcdClusterSource::noLeaderText(const QString &where)
{
    return where + QStringLiteral(" has no leader (are most of its members down or cut off?)");
}

// The probes and the listing word a fault alike, so the status says "has no leader" whichever of
// them met it first. A lost leader is always an Error; other faults are one when `isError`.
void EtcdClusterSource::retryAfter(const EtcdResponse &r, bool isError)
{
    const bool noLeader = isNoLeader(r.error.message);
    retryLater(noLeader
                   ? noLeaderText(QStringLiteral("etcd at ") + EtcdClient::displayName(r.endpoint))
                   : r.error.message,
               isError || noLeader);
}

void EtcdClusterSource::start()
{
    if (m_running || !m_client || !m_state)
        return;
    m_running = true;
    m_backoffMs = m_options.minBackoffMs;
    m_state->setStatus(ClusterState::Status::Connecting);
    connectNow();
}

void EtcdClusterSource::stop()
{
    if (!m_running)
        return;
    m_running = false;
    ++m_attempt;
    m_retryTimer->stop();
    dropStream();
    if (m_state)
        m_state->setStatus(ClusterState::Status::Disconnected);
}

void EtcdClusterSource::restartWatch()
{
    if (!m_running)
        return;
    ++m_attempt;
    dropStream();
    m_retryTimer->stop();
    connectNow();
}

void EtcdClusterSource::dropStream()
{
    m_probeTimer->stop();
    m_probeInFlight = false;
    m_watching = false;
    m_lastStreamData.invalidate();
    // Closed at once, deleted later: this may run inside one of the stream's own signals.
    if (EtcdWatchStream *stream = std::exchange(m_stream, nullptr)) {
        stream->disconnect(this);
        stream->close();
        stream->deleteLater();
    }
}

void EtcdClusterSource::retryLater(const QString &reason, bool isError)
{
    ++m_attempt;
    dropStream();
    const int delay = m_backoffMs;
    m_backoffMs = std::min(m_options.maxBackoffMs, std::max(1, m_backoffMs) * 2);
    const QString text = reason + QStringLiteral("; retrying in ") + inSeconds(delay);
    if (!m_state)
        return;
    // Log a fault once when it starts, not on every retry of the same fault.
    if (m_state->status() == ClusterState::Status::Ready || m_state->errorString().isEmpty())
        qCWarning(lcCluster, "%s", qPrintable(text));
    m_state->setStatus(isError ? ClusterState::Status::Error : ClusterState::Status::Connecting,
                       text);
    m_retryTimer->start(delay);
}

// Probe first: it fails over to an endpoint that answers and fails fast without a leader, and
// it (re)authenticates when needed, so the stream opened afterwards starts from a known-good place.
void EtcdClusterSource::connectNow()
{
    if (!m_running || !m_client)
        return;
    const quint64 attempt = ++m_attempt;
    const QByteArray end = EtcdClient::prefixRangeEnd(m_prefix);
    m_client->post(QStringLiteral("/v3/kv/range"),
                   {{QStringLiteral("key"), EtcdClient::encode(m_prefix)},
                    {QStringLiteral("range_end"), EtcdClient::encode(end)},
                    {QStringLiteral("limit"), 1},
                    {QStringLiteral("keys_only"), true}},
                   this, [this, attempt](const EtcdResponse &r) {
                       if (attempt != m_attempt)
                           return;
                       if (r.error.isError()) {
                           retryAfter(r, false);
                           return;
                       }
                       m_streamEndpoint = r.endpoint;
                       if (m_needList)
                           list();
                       else
                           openWatch();
                   });
}

void EtcdClusterSource::list()
{
    const quint64 attempt = m_attempt;
    m_client->rangePrefix(m_prefix, this, [this, attempt](const EtcdResponse &r) {
        if (attempt != m_attempt)
            return;
        if (r.error.isError()) {
            retryAfter(r, false);
            return;
        }
        const qint64 revision = EtcdClient::int64(
            r.json.value(QLatin1String("header")).toObject().value(QLatin1String("revision")));
        if (revision <= 0) {
            retryLater(QStringLiteral("etcd at %1 answered the listing of %2 without a revision")
                           .arg(EtcdClient::displayName(r.endpoint), QString::fromUtf8(m_prefix)),
                       true);
            return;
        }
        m_streamEndpoint = r.endpoint;
        ++m_listCount;
        m_needList = false;
        m_lastRevision = revision;
        m_reader.reset(EtcdClient::keyValues(r.json), revision);
        openWatch();
    });
}

void EtcdClusterSource::openWatch()
{
    m_stream = new EtcdWatchStream(m_client, {m_prefix, m_lastRevision + 1, true, true}, this);
    connect(m_stream, &EtcdWatchStream::dataArrived, this, [this] { m_lastStreamData.start(); });
    connect(m_stream, &EtcdWatchStream::message, this, &EtcdClusterSource::handleMessage);
    // Garbage (not JSON, over the reply cap) is a fault; a stream that ends is only a reconnect.
    connect(m_stream, &EtcdWatchStream::ended, this,
            [this](const QString &reason, bool garbage) { retryLater(reason, garbage); });
    m_stream->open();
    m_streamEndpoint = m_stream->endpoint();
}

void EtcdClusterSource::handleMessage(const EtcdWatchMessage &m)
{
    if (!m.error.isEmpty()) {
        const bool noLeader = isNoLeader(m.error);
        retryLater(noLeader ? noLeaderText(where())
                            : QStringLiteral("%1 ended the watch: %2").arg(where(), m.error),
                   noLeader);
        return;
    }
    if (m.canceled) {
        if (m.compactRevision > 0) {
            qCWarning(lcCluster,
                      "etcd compacted to revision %lld, past revision %lld where the "
                      "watch resumes; listing %s again",
                      static_cast<long long>(m.compactRevision),
                      static_cast<long long>(m_lastRevision + 1), m_prefix.constData());
            m_compactRevision = m.compactRevision;
            m_needList = true;
            ++m_attempt;
            dropStream();
            m_state->setStatus(
                ClusterState::Status::Connecting,
                QStringLiteral("etcd compacted to revision %1; reloading").arg(m.compactRevision));
            connectNow();
            return;
        }
        retryLater(QStringLiteral("%1 canceled the watch: %2")
                       .arg(where(), m.cancelReason.isEmpty() ? QStringLiteral("no reason given")
                                                              : m.cancelReason),
                   false);
        return;
    }
    if (m.created) {
        if (m.headerRevision > 0 && m.headerRevision < m_lastRevision) {
            // A different etcd (restored or rebuilt) whose history is behind ours: our resume
            // point means nothing there.
            qCWarning(lcCluster,
                      "%s is at revision %lld, behind revision %lld seen before; "
                      "listing again",
                      qPrintable(where()), static_cast<long long>(m.headerRevision),
                      static_cast<long long>(m_lastRevision));
            m_needList = true;
            ++m_attempt;
            dropStream();
            connectNow();
            return;
        }
        m_watching = true;
        m_backoffMs = m_options.minBackoffMs;
        QString note;
        if (m_compactRevision > 0) {
            note = QStringLiteral("etcd compacted to revision %1; reloaded at revision %2")
                       .arg(m_compactRevision)
                       .arg(m_lastRevision);
            Q_EMIT reloaded(m_lastRevision, std::exchange(m_compactRevision, 0));
        }
        if (m_state->status() != ClusterState::Status::Ready && !m_state->errorString().isEmpty())
            qCInfo(lcCluster, "watching %s on %s again from revision %lld", m_prefix.constData(),
                   qPrintable(EtcdClient::displayName(m_streamEndpoint)),
                   static_cast<long long>(m_lastRevision + 1));
        m_state->setStatus(ClusterState::Status::Ready, note);
        m_probeTimer->start();
        Q_EMIT watchStarted(m_lastRevision + 1);
        return;
    }
    m_lastRevision = m_reader.apply(m, m_lastRevision);
}

void EtcdClusterSource::probe()
{
    if (!m_watching || m_probeInFlight || !m_client)
        return;
    if (m_lastStreamData.isValid() && m_lastStreamData.elapsed() < m_options.probeIntervalMs)
        return; // the stream just spoke
    m_probeInFlight = true;
    const quint64 attempt = m_attempt;
    QElapsedTimer sent;
    sent.start();
    m_client->post(
        QStringLiteral("/v3/kv/range"),
        {{QStringLiteral("key"), EtcdClient::encode(m_prefix)},
         {QStringLiteral("range_end"), EtcdClient::encode(EtcdClient::prefixRangeEnd(m_prefix))},
         {QStringLiteral("limit"), 1},
         {QStringLiteral("keys_only"), true}},
        this, [this, attempt, sent](const EtcdResponse &r) {
            if (attempt != m_attempt)
                return;
            m_probeInFlight = false;
            // Data arrived on the stream while the probe was out: the watch is alive.
            if (r.error.isError() && m_lastStreamData.isValid() &&
                m_lastStreamData.elapsed() < sent.elapsed())
                return;
            if (r.error.isError()) {
                retryAfter(r, true);
                return;
            }
            if (r.endpoint != m_streamEndpoint) {
                qCInfo(lcCluster, "%s stopped answering, moving the watch to %s",
                       qPrintable(where()), qPrintable(EtcdClient::displayName(r.endpoint)));
                restartWatch();
            }
        });
}
