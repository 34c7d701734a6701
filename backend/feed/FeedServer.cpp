#include "feed/FeedServer.h"

#include "cluster/ClusterState.h"
#include "core/PemFiles.h"
#include "feed/FeedHttpConnection.h"
#include "feed/FeedRequestPolicy.h"
#include "feed/FeedWebSocket.h"
#include "http/WebSocketFrames.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QSslConfiguration>
#include <QSslServer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

FeedProtocol::EtcdStatus etcdStatus(ClusterState::Status status)
{
    switch (status) {
    case ClusterState::Status::Connecting:
        return FeedProtocol::EtcdStatus::Connecting;
    case ClusterState::Status::Ready:
        return FeedProtocol::EtcdStatus::Ready;
    case ClusterState::Status::Error:
        return FeedProtocol::EtcdStatus::Error;
    case ClusterState::Status::Disconnected:
        break;
    }
    return FeedProtocol::EtcdStatus::Disconnected;
}

} // namespace

FeedServer::FeedServer(ClusterState *state, FeedServerOptions options, QObject *parent)
    : QObject(parent), m_state(state), m_options(std::move(options)), m_trimTimer(new QTimer(this)),
      m_guard(new FeedConnectionGuard(m_options.connectionLimits, this))
{
    connect(m_guard, &FeedConnectionGuard::connectionCut, this,
            [this](const QString &peer, bool idle) {
                if (!idle)
                    Q_EMIT connectionRefused(peer);
            });
    // A burst of connecting clients leaves hundreds of KB per client of freed snapshot copies
    // (UTF-8 encodings, write buffers) that glibc keeps on the heap; give them back once the
    // burst is over.
    m_trimTimer->setSingleShot(true);
    m_trimTimer->setInterval(2000);
    connect(m_trimTimer, &QTimer::timeout, this, [] {
#if defined(__GLIBC__)
        malloc_trim(0);
#endif
    });

    using FeedProtocol::ServiceOp;
    connect(state, &ClusterState::hostChanged, this, [this](const HostRecord &host) {
        invalidateSnapshots();
        broadcast(FeedProtocol::hostMessage(host.toJson()));
    });
    connect(state, &ClusterState::serviceAdded, this, [this](const ServiceRecord &service) {
        invalidateSnapshots();
        broadcast(FeedProtocol::serviceMessage(ServiceOp::Added, service.toJson()));
    });
    connect(state, &ClusterState::serviceChanged, this, [this](const ServiceRecord &service) {
        invalidateSnapshots();
        broadcast(FeedProtocol::serviceMessage(ServiceOp::Changed, service.toJson()));
    });
    connect(state, &ClusterState::serviceRemoved, this, [this](const ServiceRecord &service) {
        invalidateSnapshots();
        broadcast(FeedProtocol::serviceMessage(ServiceOp::Removed, service.toJson()));
    });
    connect(state, &ClusterState::eventAppended, this, [this](const ClusterEvent &event) {
        invalidateSnapshots();
        broadcast(FeedProtocol::eventMessage(event.toJson()));
    });
    connect(state, &ClusterState::balancerChanged, this, [this](const BalancerRecord &balancer) {
        invalidateSnapshots();
        broadcast(FeedProtocol::balancerMessage(balancer.toJson()));
    });
    connect(state, &ClusterState::hostRemoved, this, &FeedServer::invalidateSnapshots);
    connect(state, &ClusterState::revisionChanged, this, &FeedServer::invalidateSnapshots);
    // setStatus() can emit both signals for one change; clients get one message.
    const auto statusUpdate = [this] {
        const QByteArray status = statusMessage();
        if (status != m_lastStatus)
            broadcast(status);
        m_lastStatus = status;
    };
    connect(state, &ClusterState::statusChanged, this, statusUpdate);
    connect(state, &ClusterState::errorStringChanged, this, statusUpdate);
    m_lastStatus = statusMessage();
    connect(state, &ClusterState::snapshotReset, this, [this] {
        invalidateSnapshots();
        for (FeedSubscriber *client : std::as_const(m_clients))
            client->sendSnapshot(FeedProtocol::SnapshotReason::Resync);
    });
}

FeedServer::~FeedServer()
{
    qDeleteAll(m_clients);
}

QString FeedServer::listen()
{
    QString host = m_options.address;
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    const QString where = QStringLiteral("%1:%2").arg(m_options.address).arg(m_options.port);
    if (host.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0)
        m_address = QHostAddress(QHostAddress::LocalHost);
    else if (!m_address.setAddress(host))
        return QStringLiteral("the feed address \"%1\" is not an IP address; use e.g. "
                              "127.0.0.1:8080 or 0.0.0.0:8080")
            .arg(m_options.address);
    if (!m_address.isLoopback() && m_options.token.isEmpty())
        return QStringLiteral("refusing to serve the feed on %1 without -feed-token-file")
            .arg(where);

    std::unique_ptr<QTcpServer> server;
    if (!m_options.certFile.isEmpty() || !m_options.keyFile.isEmpty()) {
        if (m_options.certFile.isEmpty() || m_options.keyFile.isEmpty())
            return QStringLiteral("-feed-cert and -feed-key must be given together");
        if (!QSslSocket::supportsSsl())
            return QStringLiteral("cannot serve the feed over TLS: this Qt has no TLS backend");
        QString error;
        const auto chain =
            PemFiles::certificates(m_options.certFile, "the feed certificate", &error);
        if (!chain)
            return error;
        const auto key = PemFiles::privateKey(m_options.keyFile, "the feed key", &error);
        if (!key)
            return error;
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.setLocalCertificateChain(*chain);
        tls.setPrivateKey(*key);
        tls.setPeerVerifyMode(QSslSocket::VerifyNone);
        auto sslServer = std::make_unique<GuardedServer<QSslServer>>(m_guard);
        sslServer->setSslConfiguration(tls);
        // A peer that never finishes its handshake is not yet guarded: it gets the head's deadline.
        sslServer->setHandshakeTimeout(m_options.headDeadlineMs);
        server = std::move(sslServer);
        m_tls = true;
    } else {
        server = std::make_unique<GuardedServer<QTcpServer>>(m_guard);
    }
    if (!server->listen(m_address, m_options.port))
        return QStringLiteral("cannot serve the feed on %1: %2").arg(where, server->errorString());
    m_listener = std::move(server);
    // QSslServer queues a connection once its TLS handshake is done; QTcpServer at once.
    connect(m_listener.get(), &QTcpServer::pendingConnectionAvailable, this,
            &FeedServer::acceptConnections);
    return {};
}

quint16 FeedServer::serverPort() const
{
    return m_listener ? m_listener->serverPort() : 0;
}

bool FeedServer::isTls() const
{
    return m_tls;
}

QString FeedServer::url() const
{
    const QString host = m_address.protocol() == QAbstractSocket::IPv6Protocol
                             ? QStringLiteral("[%1]").arg(m_address.toString())
                             : m_address.toString();
    return QStringLiteral("%1://%2:%3/")
        .arg(m_tls ? QStringLiteral("https") : QStringLiteral("http"), host)
        .arg(serverPort());
}

QList<FeedServer::ClientStats> FeedServer::clientStats() const
{
    QList<ClientStats> stats;
    for (const FeedSubscriber *client : m_clients) {
        stats.append({client->id(), client->pendingBytes(), client->peakPendingBytes(),
                      client->overflowCount(), client->isClosing()});
    }
    return stats;
}

qint64 FeedServer::peakPendingBytes() const
{
    qint64 peak = m_peakPendingBytesOfGoneClients;
    for (const FeedSubscriber *client : m_clients)
        peak = std::max(peak, client->peakPendingBytes());
    return peak;
}

std::optional<QByteArray> FeedServer::readTokenFile(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error =
            QStringLiteral("cannot read the feed token file %1: %2").arg(path, file.errorString());
        return std::nullopt;
    }
    const QByteArray token = file.readLine(4096).trimmed();
    if (token.isEmpty()) {
        *error = QStringLiteral("the feed token file %1 is empty").arg(path);
        return std::nullopt;
    }
    return token;
}

bool FeedServer::tokensEqual(const QByteArray &presented, const QByteArray &expected)
{
    return FeedRequestPolicy::tokensEqual(presented, expected);
}

void FeedServer::addClient(std::unique_ptr<FeedWebSocket> socket)
{
    auto *client = new FeedSubscriber(
        m_nextClientId++, std::move(socket), m_options.clientLimits,
        [this](FeedProtocol::SnapshotReason reason) { return snapshotMessage(reason); }, this);
    m_clients.append(client);
    connect(client, &FeedSubscriber::finished, this, [this, client] {
        m_clients.removeOne(client);
        m_peakPendingBytesOfGoneClients =
            std::max(m_peakPendingBytesOfGoneClients, client->peakPendingBytes());
        client->deleteLater();
        Q_EMIT clientCountChanged(clientCount());
    });
    connect(client, &FeedSubscriber::overflowed, this, [this, client](bool closed) {
        Q_EMIT clientOverflowed(client->id(), closed, client->peer());
    });
    connect(client, &FeedSubscriber::silent, this, [this, client](int silentMs) {
        Q_EMIT clientSilent(client->id(), client->peer(), silentMs);
    });
    connect(client, &FeedSubscriber::pingFlood, this,
            [this, client] { Q_EMIT clientPingFlood(client->id(), client->peer()); });
    client->send(FeedMessage::fromUtf8(
        FeedProtocol::helloMessage(m_options.agentVersion, m_options.hostname)));
    client->sendSnapshot(FeedProtocol::SnapshotReason::Initial);
    client->send(FeedMessage::fromUtf8(statusMessage()));
    Q_EMIT clientCountChanged(clientCount());
}

void FeedServer::broadcast(const QByteArray &message)
{
    if (m_clients.isEmpty())
        return;
    // Serialised and converted once; every client's queue shares the one QString.
    const FeedMessage shared = FeedMessage::fromUtf8(message);
    // A client may finish while we send; it is removed from m_clients but deleted later.
    const QList<FeedSubscriber *> clients = m_clients;
    for (FeedSubscriber *client : clients)
        client->send(shared);
}

FeedMessage FeedServer::snapshotMessage(FeedProtocol::SnapshotReason reason)
{
    m_trimTimer->start();
    if (m_snapshotRevision != m_state->revision())
        invalidateSnapshots();
    std::optional<FeedMessage> &cached = m_snapshots.at(std::size_t(reason));
    if (!cached) {
        const QJsonObject snapshot = FeedApi::snapshot(*m_state);
        cached = FeedMessage::fromUtf8(FeedProtocol::snapshotMessage(
            m_state->revision(), snapshot.value(QStringLiteral("hosts")).toArray(),
            snapshot.value(QStringLiteral("services")).toArray(),
            snapshot.value(QStringLiteral("events")).toArray(),
            snapshot.value(QStringLiteral("balancers")).toArray(), reason));
        m_snapshotRevision = m_state->revision();
        ++m_snapshotBuilds;
    }
    return *cached;
}

void FeedServer::invalidateSnapshots()
{
    for (std::optional<FeedMessage> &cached : m_snapshots)
        cached.reset();
    m_snapshotRevision = -1;
}

QByteArray FeedServer::statusMessage() const
{
    return FeedProtocol::statusMessage(etcdStatus(m_state->status()), m_state->errorString());
}
