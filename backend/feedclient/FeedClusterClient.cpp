#include "feedclient/FeedClusterClient.h"

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

std::optional<ServiceRecord> FeedClusterClient::serviceRecord(const QJsonObject &service) const
{
    ServiceRecord record = ServiceRecord::fromJson(service);
    const Keyspace &keys = m_state->keyspace();
    if (!record.key.startsWith(keys.servicesRoot()))
        record.key = keys.serviceKey(record.host, record.id);
    if (keys.parse(record.key).kind != Keyspace::Key::Kind::Service)
        return std::nullopt; // no host or no id: nowhere in etcd it could live
    return record;
}

bool FeedClusterClient::isHostName(const QString &hostname) const
{
    const Keyspace &keys = m_state->keyspace();
    return keys.parse(keys.hostKey(hostname)).kind == Keyspace::Key::Kind::Host;
}

bool FeedClusterClient::isBalancerName(const QString &name) const
{
    const Keyspace &keys = m_state->keyspace();
    return keys.parse(keys.balancerKey(name)).kind == Keyspace::Key::Kind::Balancer;
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
        ClusterSnapshot snapshot;
        snapshot.revision = EtcdClient::int64(m.value(QLatin1String("revision")));
        for (const QJsonValue &v : m.value(QLatin1String("hosts")).toArray()) {
            const HostRecord host = HostRecord::fromJson(v.toObject());
            if (!host.up || !isHostName(host.hostname))
                continue; // a gone host is no record in etcd
            snapshot.hosts.append({host, 0});
        }
        for (const QJsonValue &v : m.value(QLatin1String("services")).toArray()) {
            if (const auto service = serviceRecord(v.toObject()))
                snapshot.services.append({*service, 0});
        }
        // An agent older than the balancer records sends none: then there are none.
        for (const QJsonValue &v : m.value(QLatin1String("balancers")).toArray()) {
            const BalancerRecord balancer = BalancerRecord::fromJson(v.toObject());
            if (balancer.up && isBalancerName(balancer.name))
                snapshot.balancers.append({balancer, 0});
        }
        m_state->resetToSnapshot(snapshot);
        ++m_snapshots;
        Q_EMIT snapshotApplied(snapshot.revision);
    } else if (type == QLatin1String("host")) {
        const HostRecord host = HostRecord::fromJson(m.value(QLatin1String("host")).toObject());
        if (!isHostName(host.hostname))
            return;
        if (host.up)
            m_state->upsertHost(host, revision);
        else
            m_state->removeHost(host.hostname, revision);
    } else if (type == QLatin1String("service")) {
        const auto s = serviceRecord(m.value(QLatin1String("service")).toObject());
        if (!s)
            return;
        if (m.value(QLatin1String("op")).toString() == QLatin1String("removed"))
            m_state->removeService(s->key, revision);
        else
            m_state->upsertService(*s, revision);
    } else if (type == QLatin1String("balancer")) {
        const BalancerRecord balancer =
            BalancerRecord::fromJson(m.value(QLatin1String("balancer")).toObject());
        if (!isBalancerName(balancer.name))
            return;
        if (balancer.up)
            m_state->upsertBalancer(balancer, revision);
        else
            m_state->removeBalancer(balancer.name, revision);
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
