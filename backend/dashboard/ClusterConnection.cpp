#include "dashboard/ClusterConnection.h"

#include "cluster/EtcdClusterSource.h"
#include "dashboard/ClusterListModel.h"
#include "dashboard/KeyTreeSource.h"
#include "feedclient/FeedClusterClient.h"

#include <QJsonArray>
#include <QSettings>

namespace {
QSettings settings()
{
    return QSettings(QStringLiteral("Portolan"), QStringLiteral("dashboard"));
}
} // namespace

ClusterConnection::ClusterConnection(QObject *parent) : QObject(parent)
{
    startNew({}, {});
}

ClusterConnection::~ClusterConnection()
{
    delete m_source;
    delete m_feed;
}

QString ClusterConnection::description() const
{
    if (m_mode == QLatin1String("etcd"))
        return QStringLiteral("etcd at %1").arg(m_target);
    if (m_mode == QLatin1String("feed"))
        return QStringLiteral("the feed at %1").arg(QUrl(m_target).authority());
    return QStringLiteral("nothing");
}

void ClusterConnection::setPortolanPrefix(const QString &prefix)
{
    if (prefix == m_prefix)
        return;
    m_prefix = prefix;
    Q_EMIT portolanPrefixChanged();
}

QString ClusterConnection::statusName() const
{
    return m_state ? ClusterListModel::statusName(m_state->status())
                   : QStringLiteral("disconnected");
}

QString ClusterConnection::errorString() const
{
    return m_state ? m_state->errorString() : QString();
}

QStringList ClusterConnection::parseEndpoints(const QString &endpoints)
{
    QStringList out;
    for (QString e : endpoints.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        e = e.trimmed();
        if (e.isEmpty())
            continue;
        if (!e.contains(QLatin1String("://")))
            e.prepend(QStringLiteral("http://"));
        while (e.endsWith(QLatin1Char('/')))
            e.chop(1);
        out << e;
    }
    return out;
}

QUrl ClusterConnection::feedSocketUrl(const QString &text)
{
    QUrl url(text.contains(QLatin1String("://")) ? text : QStringLiteral("ws://") + text);
    if (url.scheme() == QLatin1String("http"))
        url.setScheme(QStringLiteral("ws"));
    else if (url.scheme() == QLatin1String("https"))
        url.setScheme(QStringLiteral("wss"));
    if (url.path().isEmpty() || url.path() == QLatin1String("/"))
        url.setPath(QStringLiteral("/ws"));
    return url;
}

void ClusterConnection::startNew(const QString &mode, const QString &target)
{
    delete m_source;
    m_source = nullptr;
    delete m_feed;
    m_feed = nullptr;
    delete m_healthContext;
    m_healthContext = nullptr;
    if (m_keySource)
        m_keySource->deleteLater();
    m_keySource = nullptr;
    if (m_client)
        m_client->deleteLater();
    m_client = nullptr;
    ClusterState *old = m_state;
    m_state = new ClusterState(m_prefix, this);
    connect(m_state, &ClusterState::statusChanged, this, &ClusterConnection::statusChanged);
    connect(m_state, &ClusterState::errorStringChanged, this, &ClusterConnection::statusChanged);
    m_mode = mode;
    m_target = target;
    m_health.clear();
    if (mode.isEmpty())
        m_state->setStatus(ClusterState::Status::Disconnected,
                           QStringLiteral("Not connected. Choose an etcd cluster or an agent's "
                                          "feed to connect to."));
    Q_EMIT stateChanged();
    Q_EMIT statusChanged();
    Q_EMIT healthChanged();
    if (old)
        old->deleteLater(); // after the views have let go of it
}

void ClusterConnection::connectToEtcd(const EtcdClientOptions &options)
{
    startNew(QStringLiteral("etcd"), options.endpoints.join(QLatin1Char(',')));
    m_client = new EtcdClient(options, this);
    m_keySource = new EtcdKeyTreeSource(m_client, this);
    m_source = new EtcdClusterSource(m_client, m_state);
    m_state->setStatus(ClusterState::Status::Connecting,
                       QStringLiteral("Connecting to %1…").arg(description()));
    m_source->start();
    Q_EMIT stateChanged();
    remember();
    refreshHealth();
}

void ClusterConnection::connectToEtcd(const QString &endpoints)
{
    EtcdClientOptions options;
    options.endpoints = parseEndpoints(endpoints);
    if (options.endpoints.isEmpty()) {
        startNew({}, {});
        m_state->setStatus(ClusterState::Status::Error,
                           QStringLiteral("No etcd endpoint given; enter one like "
                                          "http://127.0.0.1:2379."));
        return;
    }
    connectToEtcd(options);
}

void ClusterConnection::connectToFeed(const QString &url, const QString &token)
{
    const QUrl ws = feedSocketUrl(url);
    startNew(QStringLiteral("feed"), ws.toString());
    m_feed = new FeedClusterClient(m_state);
    QUrl http = ws;
    http.setScheme(ws.scheme() == QLatin1String("wss") ? QStringLiteral("https")
                                                       : QStringLiteral("http"));
    http.setPath(QStringLiteral("/"));
    m_keySource = new FeedKeyTreeSource(http, token, this);
    m_feed->open(ws, token);
    Q_EMIT stateChanged();
    remember();
}

void ClusterConnection::disconnectFromCluster()
{
    startNew({}, {});
}

void ClusterConnection::refreshHealth()
{
    if (!m_client)
        return;
    delete m_healthContext; // drops an answer still on its way
    m_healthContext = new QObject(this);
    m_client->status(m_healthContext, [this](const EtcdResponse &r) {
        QVariantMap h;
        if (r.error.isError()) {
            h.insert(QStringLiteral("ok"), false);
            h.insert(QStringLiteral("error"), r.error.message);
        } else {
            h.insert(QStringLiteral("ok"), true);
            h.insert(QStringLiteral("version"), r.json.value(QLatin1String("version")).toString());
            h.insert(QStringLiteral("dbSize"),
                     EtcdClient::int64(r.json.value(QLatin1String("dbSize"))));
            // Member ids are uint64 and often beyond qint64: compare the text.
            const QJsonValue leader = r.json.value(QLatin1String("leader"));
            const QString id =
                leader.isString() ? leader.toString() : QString::number(leader.toDouble(), 'f', 0);
            h.insert(QStringLiteral("hasLeader"), !id.isEmpty() && id != QLatin1String("0"));
            h.insert(QStringLiteral("endpoint"), EtcdClient::displayName(r.endpoint));
        }
        m_health = h;
        Q_EMIT healthChanged();
        if (r.error.isError())
            return;
        m_client->post(
            QStringLiteral("/v3/cluster/member/list"), {}, m_healthContext,
            [this](const EtcdResponse &members) {
                if (members.error.isError()) {
                    m_health.insert(QStringLiteral("membersError"), members.error.message);
                } else {
                    QStringList names;
                    const QJsonArray list = members.json.value(QLatin1String("members")).toArray();
                    for (const QJsonValue &m : list)
                        names << m.toObject().value(QLatin1String("name")).toString();
                    m_health.insert(QStringLiteral("members"), names);
                }
                Q_EMIT healthChanged();
            });
    });
}

QVariantList ClusterConnection::profiles() const
{
    QSettings s = settings();
    QVariantList out;
    s.beginGroup(QStringLiteral("profiles"));
    const QStringList names = s.childGroups();
    for (const QString &name : names) {
        out.append(QVariantMap{
            {QStringLiteral("name"), name},
            {QStringLiteral("mode"), s.value(name + QStringLiteral("/mode")).toString()},
            {QStringLiteral("target"), s.value(name + QStringLiteral("/target")).toString()}});
    }
    return out;
}

void ClusterConnection::saveProfile(const QString &name)
{
    if (name.trimmed().isEmpty() || m_mode.isEmpty())
        return;
    QSettings s = settings();
    s.setValue(QStringLiteral("profiles/%1/mode").arg(name.trimmed()), m_mode);
    s.setValue(QStringLiteral("profiles/%1/target").arg(name.trimmed()), m_target);
    Q_EMIT profilesChanged();
}

void ClusterConnection::removeProfile(const QString &name)
{
    QSettings s = settings();
    s.remove(QStringLiteral("profiles/%1").arg(name));
    Q_EMIT profilesChanged();
}

bool ClusterConnection::connectProfile(const QString &name, const QString &token)
{
    QSettings s = settings();
    const QString mode = s.value(QStringLiteral("profiles/%1/mode").arg(name)).toString();
    const QString target = s.value(QStringLiteral("profiles/%1/target").arg(name)).toString();
    if (mode == QLatin1String("etcd"))
        connectToEtcd(target);
    else if (mode == QLatin1String("feed"))
        connectToFeed(target, token);
    else
        return false;
    return true;
}

bool ClusterConnection::connectLast()
{
    QSettings s = settings();
    const QString mode = s.value(QStringLiteral("last/mode")).toString();
    const QString target = s.value(QStringLiteral("last/target")).toString();
    if (mode == QLatin1String("etcd"))
        connectToEtcd(target);
    else if (mode == QLatin1String("feed"))
        connectToFeed(target);
    else
        return false;
    return true;
}

void ClusterConnection::remember()
{
    QSettings s = settings();
    s.setValue(QStringLiteral("last/mode"), m_mode);
    s.setValue(QStringLiteral("last/target"), m_target);
}
