#pragma once

#include <QByteArray>
#include <QJsonArray>
#include <QList>
#include <QSet>
#include <QString>
#include <QStringList>

// One etcd txn being filled by EtcdV3Registry: its ops, what each settles once etcd has applied
// it (acks), and the keys it names. A txn is cut at MaxOps (etcd's default --max-txn-ops) or at
// MaxBytes of keys and values. etcd refuses a txn that names one key twice, and two txns in
// flight must not name the same key either (their order is not guaranteed): a key is taken
// when this txn or one in flight names it.
class TxnBatch {
public:
    static constexpr int MaxOps = 128;
    // Well under etcd's default --max-request-bytes (1.5 MiB): records are bounded (~21 KiB),
    // but 64 of the largest would come close.
    static constexpr qsizetype MaxBytes = 1024 * 1024;

    struct Ack {
        enum { Host, Put, Delete, Orphan } kind;
        QString id; // service id, or the orphan key; empty for the host record
        quint64 generation;
    };

    explicit TxnBatch(const QSet<QString> &keysInFlight) : m_keysInFlight(keysInFlight) {}

    bool taken(const QString &key) const
    {
        return m_used.contains(key) || m_keysInFlight.contains(key);
    }
    bool hasRoomFor(int ops) const { return m_ops.size() + ops <= MaxOps; }

    void putHost(const QString &key, const QByteArray &value, qint64 lease, quint64 generation);
    // The detail record and, unless serviceKey is empty, the registrator key.
    void removeService(const QString &id, quint64 generation, const QString &detail,
                       const QString &serviceKey);
    void removeOrphan(const QString &key, quint64 generation);
    // A service's two puts (only the detail record when key is empty), unless the txn already holds
    // something and they would take it past MaxBytes: then it is full, nothing is added and false
    // is returned.
    bool putService(const QString &id, quint64 generation, const QString &key,
                    const QByteArray &value, const QString &detail, const QByteArray &detailValue,
                    qint64 lease);

    bool isEmpty() const { return m_ops.isEmpty(); }
    // No room for another service's two puts.
    bool isFull() const { return m_bytesFull || !hasRoomFor(2); }
    const QJsonArray &ops() const { return m_ops; }
    const QList<Ack> &acks() const { return m_acks; }
    const QStringList &keys() const { return m_keys; }     // every key it names
    const QStringList &putIds() const { return m_putIds; } // the services it puts

private:
    void put(const QString &key, const QByteArray &value, qint64 lease);
    void remove(const QString &key);

    const QSet<QString> &m_keysInFlight;
    QJsonArray m_ops;
    QList<Ack> m_acks;
    QSet<QString> m_used;
    QStringList m_keys;
    QStringList m_putIds;
    qsizetype m_bytes = 0;
    bool m_bytesFull = false;
};
