#include "dashboard/KeyTreeSource.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QUrlQuery>

EtcdKeyTreeSource::EtcdKeyTreeSource(EtcdClient *client, QObject *parent)
    : KeyTreeSource(parent), m_client(client), m_tree(new KeyTree(client, this))
{
}

void EtcdKeyTreeSource::list(const QByteArray &prefix, const QByteArray &after, int limit,
                             QObject *context, KeyTree::PageCallback callback)
{
    m_tree->list(prefix, after, limit, context, std::move(callback));
}

void EtcdKeyTreeSource::get(const QByteArray &key, QObject *context,
                            KeyTree::ValueCallback callback)
{
    m_tree->get(key, context, std::move(callback));
}

QString EtcdKeyTreeSource::description() const
{
    return m_client ? QStringLiteral("etcd at %1")
                          .arg(EtcdClient::displayName(m_client->currentEndpoint()))
                    : QStringLiteral("etcd");
}

KeyTreeWatch *EtcdKeyTreeSource::watch(const QByteArray &prefix, qint64 revision, QObject *parent)
{
    if (!m_client || revision <= 0)
        return nullptr;
    return new EtcdKeyTreeWatch(m_client, prefix, revision, parent);
}

EtcdKeyTreeWatch::EtcdKeyTreeWatch(EtcdClient *client, const QByteArray &prefix, qint64 revision,
                                   QObject *parent)
    : KeyTreeWatch(parent), m_stream(new EtcdWatchStream(client, {prefix, revision + 1}, this))
{
    connect(m_stream, &EtcdWatchStream::message, this, &EtcdKeyTreeWatch::handleMessage);
    connect(m_stream, &EtcdWatchStream::ended, this,
            [this](const QString &reason) { end(reason); });
    client->ensureAuthenticated(this, [this](const EtcdResponse &r) {
        if (r.error.isError())
            end(r.error.message);
        else
            m_stream->open();
    });
}

EtcdKeyTreeWatch::~EtcdKeyTreeWatch() = default;

void EtcdKeyTreeWatch::handleMessage(const EtcdWatchMessage &m)
{
    if (!m.error.isEmpty()) {
        end(m.error);
        return;
    }
    if (m.canceled) {
        end(m.compactRevision > 0
                ? QStringLiteral("etcd compacted the revisions to watch from")
                : QStringLiteral("etcd canceled the watch: %1").arg(m.cancelReason));
        return;
    }
    for (const EtcdWatchMessage::Event &e : m.events)
        Q_EMIT changed(e.kv.key, e.isDelete, e.isDelete ? -1 : e.kv.value.size());
}

void EtcdKeyTreeWatch::end(const QString &reason)
{
    if (m_ended)
        return;
    m_ended = true;
    m_stream->close();
    Q_EMIT ended(reason);
}

FeedKeyTreeSource::FeedKeyTreeSource(const QUrl &base, const QString &token, QObject *parent)
    : KeyTreeSource(parent), m_base(base), m_token(token),
      m_network(new QNetworkAccessManager(this))
{
}

QString FeedKeyTreeSource::description() const
{
    return QStringLiteral("the feed at %1").arg(m_base.authority());
}

void FeedKeyTreeSource::getJson(const QString &path,
                                const QList<std::pair<QString, QString>> &query, QObject *context,
                                std::function<void(const QJsonObject &, const QString &)> cb)
{
    QUrl url = m_base.resolved(QUrl(path));
    QUrlQuery q;
    for (const auto &[k, v] : query)
        q.addQueryItem(k, QString::fromUtf8(QUrl::toPercentEncoding(v)));
    url.setQuery(q);
    QNetworkRequest request(url);
    request.setTransferTimeout(10000);
    if (!m_token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + m_token.toUtf8());
    QNetworkReply *reply = m_network->get(request);
    QPointer<QObject> guard(context);
    connect(reply, &QNetworkReply::finished, this, [reply, guard, cb, url] {
        reply->deleteLater();
        if (!guard)
            return;
        const QJsonObject o = QJsonDocument::fromJson(reply->readAll()).object();
        QString error;
        if (reply->error() != QNetworkReply::NoError) {
            error = o.value(QLatin1String("error")).toString();
            if (error.isEmpty())
                error = QStringLiteral("the feed at %1 did not answer: %2")
                            .arg(url.authority(), reply->errorString());
        }
        cb(o, error);
    });
}

KeyTreePage FeedKeyTreeSource::pageFromJson(const QJsonObject &o)
{
    KeyTreePage p;
    p.prefix = o.value(QLatin1String("prefix")).toString().toUtf8();
    p.revision = EtcdClient::int64(o.value(QLatin1String("revision")));
    for (const QJsonValue &v : o.value(QLatin1String("children")).toArray()) {
        const QJsonObject c = v.toObject();
        KeyTreeEntry e;
        e.name = c.value(QLatin1String("name")).toString();
        e.key = c.value(QLatin1String("key")).toString().toUtf8();
        e.dir = c.value(QLatin1String("dir")).toBool();
        e.size = c.contains(QLatin1String("size"))
                     ? EtcdClient::int64(c.value(QLatin1String("size")))
                     : -1;
        p.children.append(e);
    }
    p.more = o.value(QLatin1String("more")).toBool();
    p.next = o.value(QLatin1String("next")).toString().toUtf8();
    return p;
}

KeyTreeValue FeedKeyTreeSource::valueFromJson(const QJsonObject &o)
{
    KeyTreeValue v;
    v.found = o.contains(QLatin1String("value"));
    v.kv.key = o.value(QLatin1String("key")).toString().toUtf8();
    v.kv.value = o.value(QLatin1String("value")).toString().toUtf8();
    v.kv.createRevision = EtcdClient::int64(o.value(QLatin1String("createRevision")));
    v.kv.modRevision = EtcdClient::int64(o.value(QLatin1String("modRevision")));
    v.kv.version = EtcdClient::int64(o.value(QLatin1String("version")));
    v.kv.lease = EtcdClient::int64(o.value(QLatin1String("lease")));
    return v;
}

void FeedKeyTreeSource::list(const QByteArray &prefix, const QByteArray &after, int limit,
                             QObject *context, KeyTree::PageCallback callback)
{
    QList<std::pair<QString, QString>> query{{QStringLiteral("prefix"), QString::fromUtf8(prefix)},
                                             {QStringLiteral("limit"), QString::number(limit)}};
    if (!after.isEmpty())
        query.append({QStringLiteral("after"), QString::fromUtf8(after)});
    getJson(QStringLiteral("api/v1/tree"), query, context,
            [callback, prefix](const QJsonObject &o, const QString &error) {
                KeyTreePage page = error.isEmpty() ? pageFromJson(o) : KeyTreePage();
                page.prefix = prefix;
                if (!error.isEmpty()) {
                    page.error.kind = EtcdError::Kind::Connection;
                    page.error.message = error;
                }
                callback(page);
            });
}

void FeedKeyTreeSource::get(const QByteArray &key, QObject *context,
                            KeyTree::ValueCallback callback)
{
    getJson(QStringLiteral("api/v1/key"), {{QStringLiteral("key"), QString::fromUtf8(key)}},
            context, [callback, key](const QJsonObject &o, const QString &error) {
                KeyTreeValue v;
                if (error.isEmpty()) {
                    v = valueFromJson(o);
                } else if (!error.contains(QLatin1String("did not answer"))) {
                    v.found = false; // 404: the key is gone
                } else {
                    v.error.kind = EtcdError::Kind::Connection;
                    v.error.message = error;
                }
                v.kv.key = key;
                callback(v);
            });
}
