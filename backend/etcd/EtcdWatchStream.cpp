#include "etcd/EtcdWatchStream.h"

#include "etcd/EtcdConnection.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace {

EtcdKeyValue keyValue(const QJsonObject &o)
{
    EtcdKeyValue kv;
    kv.key = EtcdClient::decode(o.value(QLatin1String("key")));
    kv.value = EtcdClient::decode(o.value(QLatin1String("value")));
    kv.createRevision = EtcdClient::int64(o.value(QLatin1String("create_revision")));
    kv.modRevision = EtcdClient::int64(o.value(QLatin1String("mod_revision")));
    kv.version = EtcdClient::int64(o.value(QLatin1String("version")));
    kv.lease = EtcdClient::int64(o.value(QLatin1String("lease")));
    return kv;
}

} // namespace

EtcdWatchMessage EtcdWatchMessage::parse(const QByteArray &line)
{
    EtcdWatchMessage m;
    const QJsonDocument doc = QJsonDocument::fromJson(line);
    if (!doc.isObject())
        return m;
    m.valid = true;
    const QJsonObject root = doc.object();
    if (root.contains(QLatin1String("error"))) {
        const QJsonObject e = root.value(QLatin1String("error")).toObject();
        m.error = e.value(QLatin1String("message")).toString();
        if (m.error.isEmpty())
            m.error = QStringLiteral("watch failed");
        m.errorCode = e.value(QLatin1String("grpc_code")).toInt();
        return m;
    }
    const QJsonObject r = root.value(QLatin1String("result")).toObject();
    m.headerRevision = EtcdClient::int64(
        r.value(QLatin1String("header")).toObject().value(QLatin1String("revision")));
    m.created = r.value(QLatin1String("created")).toBool();
    m.canceled = r.value(QLatin1String("canceled")).toBool();
    m.compactRevision = EtcdClient::int64(r.value(QLatin1String("compact_revision")));
    m.cancelReason = r.value(QLatin1String("cancel_reason")).toString();
    for (const QJsonValue &v : r.value(QLatin1String("events")).toArray()) {
        const QJsonObject e = v.toObject();
        Event ev;
        ev.isDelete = e.value(QLatin1String("type")).toString() == QLatin1String("DELETE");
        ev.kv = keyValue(e.value(QLatin1String("kv")).toObject());
        ev.prevKv = keyValue(e.value(QLatin1String("prev_kv")).toObject());
        m.events.append(ev);
    }
    return m;
}

EtcdWatchStream::EtcdWatchStream(EtcdClient *client, EtcdWatchRequest request, QObject *parent)
    : QObject(parent), m_client(client), m_request(std::move(request))
{
}

EtcdWatchStream::~EtcdWatchStream()
{
    close();
}

void EtcdWatchStream::open()
{
    close();
    if (!m_client)
        return;
    QJsonObject create{{QStringLiteral("key"), EtcdClient::encode(m_request.prefix)},
                       {QStringLiteral("range_end"),
                        EtcdClient::encode(EtcdClient::prefixRangeEnd(m_request.prefix))}};
    if (m_request.startRevision > 0)
        create.insert(QStringLiteral("start_revision"), QString::number(m_request.startRevision));
    if (m_request.prevKv)
        create.insert(QStringLiteral("prev_kv"), true);
    if (m_request.progressNotify)
        create.insert(QStringLiteral("progress_notify"), true);
    EtcdRequest request;
    request.path = QStringLiteral("/v3/watch");
    request.body = QJsonDocument(QJsonObject{{QStringLiteral("create_request"), create}})
                       .toJson(QJsonDocument::Compact);
    m_connection = m_client->openStream(request);
    m_endpoint = m_client->currentEndpoint();
    connect(m_connection, &EtcdConnection::bodyData, this, &EtcdWatchStream::onData);
    connect(m_connection, &EtcdConnection::finished, this, &EtcdWatchStream::onFinished);
}

void EtcdWatchStream::close()
{
    ++m_generation;
    m_buffer.clear();
    if (EtcdConnection *connection = std::exchange(m_connection, nullptr)) {
        connection->disconnect(this);
        connection->abort();
        connection->deleteLater();
    }
}

QString EtcdWatchStream::where() const
{
    return QStringLiteral("etcd at %1").arg(EtcdClient::displayName(m_endpoint));
}

bool EtcdWatchStream::deliver(const QByteArray &line)
{
    if (line.isEmpty())
        return true;
    const EtcdWatchMessage parsed = EtcdWatchMessage::parse(line);
    if (!parsed.valid) {
        end(where() + QStringLiteral(" sent a watch message that is not JSON"), true);
        return false;
    }
    const quint64 generation = m_generation;
    QPointer<EtcdWatchStream> alive(this);
    Q_EMIT message(parsed);
    return alive && generation == m_generation && m_connection;
}

void EtcdWatchStream::onData(const QByteArray &data)
{
    if (!m_connection)
        return;
    if (data.isEmpty())
        return;
    const quint64 generation = m_generation;
    QPointer<EtcdWatchStream> alive(this);
    Q_EMIT dataArrived();
    if (!alive || generation != m_generation)
        return;
    m_buffer += data;
    // A watch message is small; one over the client's reply cap means the stream is not what
    // we think it is.
    const qint64 maxLine = m_client ? m_client->options().maxReplyBytes : 0;
    const QString tooLong =
        EtcdClient::tooLargeMessage(m_endpoint, maxLine, QStringLiteral("a watch message"));
    qsizetype start = 0;
    for (qsizetype nl = m_buffer.indexOf('\n'); nl >= 0; nl = m_buffer.indexOf('\n', start)) {
        if (maxLine > 0 && nl - start > maxLine)
            return end(tooLong, true);
        const QByteArray line = m_buffer.mid(start, nl - start).trimmed();
        start = nl + 1;
        if (!deliver(line))
            return;
    }
    m_buffer.remove(0, start);
    if (maxLine > 0 && m_buffer.size() > maxLine)
        end(tooLong, true);
}

void EtcdWatchStream::onFinished()
{
    if (!m_connection)
        return;
    // A last object may come without its newline (an error right before the close); a refused
    // watch's error body is delivered the same way.
    m_buffer += m_connection->takeBody();
    const QByteArray rest = std::exchange(m_buffer, QByteArray()).trimmed();
    for (const QByteArray &line : rest.split('\n')) {
        if (!deliver(line.trimmed()))
            return;
    }
    using Failure = EtcdConnection::Failure;
    const Failure failure = m_connection->failure();
    const int http = m_connection->statusCode();
    if (failure != Failure::None && failure != Failure::Closed)
        end(QStringLiteral("%1: watch stream failed: %2").arg(where(), m_connection->failureText()),
            false);
    else if (http != 0 && http != 200)
        end(QStringLiteral("%1 refused the watch with HTTP %2").arg(where()).arg(http), false);
    else
        end(where() + QStringLiteral(" closed the watch stream"), false);
}

void EtcdWatchStream::end(const QString &reason, bool garbage)
{
    close();
    Q_EMIT ended(reason, garbage);
}
