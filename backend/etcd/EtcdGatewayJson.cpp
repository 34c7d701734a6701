// EtcdClient's JSON gateway helpers (base64 keys and values, int64 strings, range and txn
// shapes): pure functions, no I/O, kept apart from the client's request plumbing.
#include "etcd/EtcdClient.h"

#include <QJsonArray>

QString EtcdClient::encode(const QByteArray &bytes)
{
    return QString::fromLatin1(bytes.toBase64());
}

QByteArray EtcdClient::decode(const QJsonValue &value)
{
    return QByteArray::fromBase64(value.toString().toLatin1());
}

qint64 EtcdClient::int64(const QJsonValue &value)
{
    if (value.isString())
        return value.toString().toLongLong();
    if (value.isDouble())
        return static_cast<qint64>(value.toDouble());
    return 0;
}

QByteArray EtcdClient::prefixRangeEnd(const QByteArray &prefix)
{
    QByteArray end = prefix;
    while (!end.isEmpty()) {
        auto last = static_cast<unsigned char>(end.back());
        if (last < 0xff) {
            end.back() = static_cast<char>(last + 1);
            return end;
        }
        end.chop(1);
    }
    return QByteArray(1, '\0');
}

QList<EtcdKeyValue> EtcdClient::keyValues(const QJsonObject &rangeResponse)
{
    QList<EtcdKeyValue> out;
    const QJsonArray kvs = rangeResponse.value(QLatin1String("kvs")).toArray();
    for (const QJsonValue &v : kvs) {
        const QJsonObject o = v.toObject();
        EtcdKeyValue kv;
        kv.key = decode(o.value(QLatin1String("key")));
        kv.value = decode(o.value(QLatin1String("value")));
        kv.createRevision = int64(o.value(QLatin1String("create_revision")));
        kv.modRevision = int64(o.value(QLatin1String("mod_revision")));
        kv.version = int64(o.value(QLatin1String("version")));
        kv.lease = int64(o.value(QLatin1String("lease")));
        out.append(kv);
    }
    return out;
}

QJsonObject EtcdClient::putOp(const QByteArray &key, const QByteArray &value, qint64 lease)
{
    QJsonObject put{{QStringLiteral("key"), encode(key)}, {QStringLiteral("value"), encode(value)}};
    if (lease)
        put.insert(QStringLiteral("lease"), QString::number(lease));
    return {{QStringLiteral("request_put"), put}};
}

QJsonObject EtcdClient::deleteOp(const QByteArray &key, const QByteArray &rangeEnd)
{
    QJsonObject del{{QStringLiteral("key"), encode(key)}};
    if (!rangeEnd.isEmpty())
        del.insert(QStringLiteral("range_end"), encode(rangeEnd));
    return {{QStringLiteral("request_delete_range"), del}};
}
