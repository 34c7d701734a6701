#include "agent/AgentFeed.h"

#include "agent/AgentOps.h"
#include "cluster/ClusterState.h"
#include "cluster/EtcdClusterSource.h"
#include "cluster/KeyTree.h"
#include "core/AgentMetrics.h"
#include "core/LogCategories.h"
#include "core/Version.h"
#include "feed/FeedServer.h"

AgentFeed::AgentFeed(EtcdClient *client, Settings settings, QObject *parent)
    : QObject(parent), m_settings(std::move(settings)),
      m_state(new ClusterState(m_settings.portolanPrefix, this)),
      m_source(new EtcdClusterSource(client, m_state, this)), m_tree(new KeyTree(client, this))
{
    connect(m_state, &ClusterState::statusChanged, this, [this] {
        if (m_state->status() == ClusterState::Status::Error)
            qCWarning(lcFeed).noquote() << "cluster view:" << m_state->errorString();
    });
}

AgentFeed::~AgentFeed() = default;

QString AgentFeed::start()
{
    FeedServerOptions options;
    const int colon = m_settings.listen.lastIndexOf(QLatin1Char(':'));
    options.address = m_settings.listen.left(colon);
    if (options.address.startsWith(QLatin1Char('[')) && options.address.endsWith(QLatin1Char(']')))
        options.address = options.address.mid(1, options.address.size() - 2);
    options.port = quint16(m_settings.listen.mid(colon + 1).toUInt());
    options.certFile = m_settings.certFile;
    options.keyFile = m_settings.keyFile;
    options.agentVersion = Portolan::version();
    options.hostname = m_settings.hostname;
    options.allowedHosts = m_settings.allowedHosts;
    if (!m_settings.tokenFile.isEmpty()) {
        QString error;
        const auto token = FeedServer::readTokenFile(m_settings.tokenFile, &error);
        if (!token)
            return QStringLiteral("-feed-token-file: %1").arg(error);
        options.token = *token;
    }
    m_maxConnections = options.connectionLimits.maxConnections;
    m_idleSeconds = options.connectionLimits.idleMs / 1000;
    m_server = new FeedServer(m_state, options, this);
    m_server->setOpsEndpoints(AgentOps::endpoints());
    connect(m_server, &FeedServer::clientCountChanged, this,
            [](int count) { AgentMetrics::instance().feedClients.set(count); });
    // At most two lines per client that does not read: it is closed on the second overflow.
    connect(m_server, &FeedServer::clientOverflowed, this,
            [](quint64, bool closed, const QString &peer) {
                if (closed)
                    qCWarning(lcFeed).noquote()
                        << "client" << peer << "fell behind twice within 10 s; closing it (1013)";
                else
                    qCInfo(lcFeed).noquote()
                        << "client" << peer
                        << "fell behind; its queue was dropped for a fresh snapshot";
            });
    connect(
        m_server, &FeedServer::clientSilent, this, [](quint64, const QString &peer, int silentMs) {
            qCInfo(lcFeed).noquote() << "client" << peer << "answered nothing, not even pings, for"
                                     << silentMs / 1000 << "s; cut";
        });
    // A flood of connections must not become a flood of log lines: one line a minute at most.
    connect(m_server, &FeedServer::connectionRefused, this, [this](const QString &peer) {
        ++m_refusedSinceLog;
        if (m_refusedLog.isValid() && m_refusedLog.elapsed() < 60000)
            return;
        qCWarning(lcFeed).noquote()
            << "refused" << m_refusedSinceLog << "connection(s), the last from" << peer << "-"
            << m_maxConnections << "HTTP connections are open; idle ones are cut after"
            << m_idleSeconds << "s";
        m_refusedSinceLog = 0;
        m_refusedLog.start();
    });
    connect(m_server, &FeedServer::clientPingFlood, this, [](quint64, const QString &peer) {
        qCWarning(lcFeed).noquote()
            << "client" << peer << "sent pings without reading the answers; cut";
    });
    // Refused requests come from whoever can reach the port: one line a minute, with a count,
    // never the request's target or headers (they may hold a token).
    connect(m_server, &FeedServer::requestRefused, this,
            [this](const QString &peer, int status, const QString &why) {
                ++m_requestsRefusedSinceLog;
                if (m_requestsRefusedLog.isValid() && m_requestsRefusedLog.elapsed() < 60000)
                    return;
                qCWarning(lcFeed).noquote()
                    << QStringLiteral("refused %1 request(s), the last from %2 with "
                                      "%3: %4 (one such line a minute at most)")
                           .arg(m_requestsRefusedSinceLog)
                           .arg(peer)
                           .arg(status)
                           .arg(why);
                m_requestsRefusedSinceLog = 0;
                m_requestsRefusedLog.start();
            });
    const QString error = m_server->listen();
    if (!error.isEmpty())
        return error;
    // Other applications' keys in the same etcd are not the feed's to show (docs/security.md).
    KeyScope scope;
    for (QString root : {m_settings.registryPrefix, m_settings.portolanPrefix}) {
        if (!root.startsWith(QLatin1Char('/')))
            root.prepend(QLatin1Char('/'));
        if (!root.endsWith(QLatin1Char('/')))
            root.append(QLatin1Char('/'));
        if (!scope.roots.contains(root))
            scope.roots.append(root);
    }
    m_server->setKeyTreeProvider(FeedApi::keyTreeProvider(m_tree, m_server, scope, m_state));
    m_server->setKeyValueProvider(FeedApi::keyValueProvider(m_tree, m_server, scope));
    m_source->start();
    return {};
}

QString AgentFeed::url() const
{
    return m_server ? m_server->url() : QString();
}
