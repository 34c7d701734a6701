#include "registry/TxnBatch.h"

#include "etcd/EtcdClient.h"

void TxnBatch::put(const QString &key, const QByteArray &value, qint64 lease)
{
    m_ops.append(EtcdClient::putOp(key.toUtf8(), value, lease));
    m_used.insert(key);
    m_keys.append(key);
}

void TxnBatch::remove(const QString &key)
{
    m_ops.append(EtcdClient::deleteOp(key.toUtf8()));
    m_used.insert(key);
    m_keys.append(key);
}

void TxnBatch::putHost(const QString &key, const QByteArray &value, qint64 lease,
                       quint64 generation)
{
    put(key, value, lease);
    m_acks.append({Ack::Host, QString(), generation});
}

void TxnBatch::removeService(const QString &id, quint64 generation, const QString &detail,
                             const QString &serviceKey)
{
    remove(detail);
    if (!serviceKey.isEmpty())
        remove(serviceKey);
    m_acks.append({Ack::Delete, id, generation});
}

void TxnBatch::removeOrphan(const QString &key, quint64 generation)
{
    remove(key);
    m_acks.append({Ack::Orphan, key, generation});
}

bool TxnBatch::putService(const QString &id, quint64 generation, const QString &key,
                          const QByteArray &value, const QString &detail,
                          const QByteArray &detailValue, qint64 lease)
{
    const qsizetype size = key.size() + detail.size() + value.size() + detailValue.size();
    if (!m_ops.isEmpty() && m_bytes + size > MaxBytes) {
        m_bytesFull = true;
        return false;
    }
    m_bytes += size;
    if (!key.isEmpty())
        put(key, value, lease);
    put(detail, detailValue, lease);
    m_acks.append({Ack::Put, id, generation});
    m_putIds.append(id);
    return true;
}
