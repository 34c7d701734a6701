#include "dashboard/FeedClusterClient.h"

#include "cluster/ClusterState.h"
#include "etcd/EtcdClient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkRequest>
#include <QTimer>
#include <QWebSocket>

namespace {
constexpr int MinBackoffMs = 200;
constexpr int MaxBackoffMs = 5000;
} // namespace

FeedClusterClient::FeedClusterClient(ClusterState *state, QObject *parent)
    : QObject(parent), m_state(state),
      m_socket(new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this)),
      m_retryTimer(new QTimer(this))
{
    m_retryTimer->setSingleShot(true);
    connect(m_retryTimer, &QTimer::timeout, this, &FeedClusterClient::connectNow);
    connect(m_socket, &QWebSocket::textMessageReceived, this, &FeedClusterClient::handleMessage);
    connect(m_socket, &QWebSocket::connected, this, [this] { m_backoffMs = 0; });
    connect(m_socket, &QWebSocket::disconnected, this, &FeedClusterClient::onDisconnected);
}

FeedClusterClient::~FeedClusterClient()
{
    m_open = false;
    m_socket->abort();
}

QString FeedClusterClient::where() const
{
    return QStringLiteral("the feed at %1").arg(m_url.authority());
}

void FeedClusterClient::open(const QUrl &url, const QString &token)
{
    m_url = url;
    m_token = token;
    m_open = true;
    m_backoffMs = 0;
    connectNow();
}

void FeedClusterClient::close()
{
    m_open = false;
    m_retryTimer->stop();
    m_socket->abort();
    if (m_state)
        m_state->setStatus(ClusterState::Status::Disconnected);
}

void FeedClusterClient::connectNow()
{
    if (!m_open)
        return;
    if (m_state && m_state->status() != ClusterState::Status::Error)
        m_state->setStatus(ClusterState::Status::Connecting,
                           QStringLiteral("Connecting to %1…").arg(where()));
    QNetworkRequest request(m_url);
    if (!m_token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + m_token.toUtf8());
    m_socket->open(request);
}

void FeedClusterClient::onDisconnected()
{
    if (!m_open)
        return;
    m_backoffMs = m_backoffMs == 0 ? MinBackoffMs : std::min(m_backoffMs * 2, MaxBackoffMs);
    QString reason = m_socket->closeReason();
    if (reason.isEmpty() && m_socket->error() != QAbstractSocket::UnknownSocketError)
        reason = m_socket->errorString();
    if (reason.isEmpty())
        reason = QStringLiteral("the connection closed");
    // A refused upgrade (401 wrong token, 503 full) is something a person must fix; the rest is
    // the network and will likely heal.
    const bool refused =
        reason.contains(QLatin1String("401")) || reason.contains(QLatin1String("403"));
    if (m_state)
        m_state->setStatus(refused ? ClusterState::Status::Error : ClusterState::Status::Connecting,
                           QStringLiteral("%1: %2; retrying in %3 s")
                               .arg(where(), reason)
                               .arg(m_backoffMs / 1000.0, 0, 'f', 1));
    m_retryTimer->start(m_backoffMs);
}

QByteArray FeedClusterClient::hostKey(const QString &hostname) const
{
    return (m_state->portolanPrefix() + QStringLiteral("/hosts/") + hostname).toUtf8();
}

QByteArray FeedClusterClient::serviceKey(const QJsonObject &service) const
{
    // The record's own key when it lies where this state expects it; otherwise the same shape.
    const QString key = service.value(QLatin1String("key")).toString();
    const QString services = m_state->portolanPrefix() + QStringLiteral("/services/");
    if (key.startsWith(services))
        return key.toUtf8();
    return (services + service.value(QLatin1String("host")).toString() + QLatin1Char('/') +
            service.value(QLatin1String("id")).toString())
        .toUtf8();
}

QByteArray FeedClusterClient::serviceValue(const QJsonObject &service)
{
    // The feed's "key" is the detail record's key; in etcd the value's "key" is the
    // registrator-compatible key (ServiceRecord::fromEtcd reads it as registryKey).
    QJsonObject o = service;
    o.insert(QStringLiteral("key"), service.value(QLatin1String("registryKey")));
    o.remove(QStringLiteral("registryKey"));
    o.remove(QStringLiteral("address"));
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

void FeedClusterClient::handleMessage(const QString &text)
{
    if (!m_state)
        return;
    const QJsonObject m = QJsonDocument::fromJson(text.toUtf8()).object();
    const QString type = m.value(QLatin1String("type")).toString();
    const qint64 revision = m_state->revision();
    if (type == QLatin1String("hello")) {
        m_agentHostname = m.value(QLatin1String("hostname")).toString();
    } else if (type == QLatin1String("snapshot")) {
        QList<EtcdKeyValue> kvs;
        const qint64 rev = EtcdClient::int64(m.value(QLatin1String("revision")));
        for (const QJsonValue &v : m.value(QLatin1String("hosts")).toArray()) {
            const QJsonObject h = v.toObject();
            if (!h.value(QLatin1String("up")).toBool(true))
                continue; // a gone host is no key in etcd
            kvs.append({hostKey(h.value(QLatin1String("hostname")).toString()),
                        QJsonDocument(h).toJson(QJsonDocument::Compact), 0, rev, 0, 0});
        }
        for (const QJsonValue &v : m.value(QLatin1String("services")).toArray()) {
            const QJsonObject s = v.toObject();
            kvs.append({serviceKey(s), serviceValue(s), 0, rev, 0, 0});
        }
        m_state->resetFromSnapshot(kvs, rev);
        ++m_snapshots;
        Q_EMIT snapshotApplied(rev);
    } else if (type == QLatin1String("host")) {
        const QJsonObject h = m.value(QLatin1String("host")).toObject();
        const QByteArray key = hostKey(h.value(QLatin1String("hostname")).toString());
        if (h.value(QLatin1String("up")).toBool(true))
            m_state->applyPut(key, QJsonDocument(h).toJson(QJsonDocument::Compact), revision);
        else
            m_state->applyDelete(key, revision);
    } else if (type == QLatin1String("service")) {
        const QJsonObject s = m.value(QLatin1String("service")).toObject();
        if (m.value(QLatin1String("op")).toString() == QLatin1String("removed"))
            m_state->applyDelete(serviceKey(s), revision);
        else
            m_state->applyPut(serviceKey(s), serviceValue(s), revision);
    } else if (type == QLatin1String("event")) {
        // The feed's events carry the agent's etcd revision; keep the picture's revision current.
        m_state->noteRevision(EtcdClient::int64(
            m.value(QLatin1String("event")).toObject().value(QLatin1String("revision"))));
    } else if (type == QLatin1String("status")) {
        const QString s = m.value(QLatin1String("status")).toString();
        const QString error = m.value(QLatin1String("error")).toString();
        const ClusterState::Status status =
            s == QLatin1String("ready")        ? ClusterState::Status::Ready
            : s == QLatin1String("connecting") ? ClusterState::Status::Connecting
            : s == QLatin1String("error")      ? ClusterState::Status::Error
                                               : ClusterState::Status::Disconnected;
        m_state->setStatus(
            status, error.isEmpty()
                        ? QString()
                        : QStringLiteral("The agent %1 reports: %2").arg(m_agentHostname, error));
    }
}
