#pragma once

// Shared by the ClusterState tests (tst_clusterstate_recorded, _malformed, _events): the recorded
// etcd 3.4 fixtures in tests/data/cluster (re-recorded by capture.sh there) and compact event
// descriptions. Header-only.

#include "cluster/ClusterState.h"
#include "cluster/EtcdClusterSource.h"
#include "cluster/EtcdRecordReader.h"

#include <QFile>
#include <QJsonDocument>

inline QByteArray fixture(const QString &name)
{
    QFile f(QStringLiteral(PORTOLAN_TEST_DATA "/cluster/") + name);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", qPrintable(f.fileName()));
    return f.readAll();
}

// A recorded range response: its key-values and header revision.
inline std::pair<QList<EtcdKeyValue>, qint64> snapshot(const QString &name)
{
    const QJsonObject o = QJsonDocument::fromJson(fixture(name)).object();
    return {EtcdClient::keyValues(o),
            EtcdClient::int64(o.value("header").toObject().value("revision"))};
}

inline void reset(EtcdRecordReader &etcd, const QString &name)
{
    const auto [kvs, revision] = snapshot(name);
    etcd.reset(kvs, revision);
}

// "action host serviceId @revision", for compact comparisons.
inline QStringList describe(const QList<ClusterEvent> &events)
{
    QStringList out;
    for (const ClusterEvent &e : events)
        out << QStringLiteral("%1 %2 %3 @%4")
                   .arg(ClusterEvent::actionName(e.action), e.host,
                        e.serviceId.isEmpty() ? QStringLiteral("-") : e.serviceId)
                   .arg(e.revision);
    return out;
}

inline QByteArray svcKey(const QString &host, const QString &id)
{
    return Keyspace().serviceKey(host, id).toUtf8();
}
