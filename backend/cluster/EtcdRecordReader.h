#pragma once

#include "records/Keyspace.h"

#include <QList>
#include <QPointer>
#include <QSet>

class ClusterState;
struct EtcdKeyValue;
struct EtcdWatchMessage;

// Reads etcd key/values under the Portolan prefix into a ClusterState: the keyspace says what a
// key names, the records codec decodes its value. Malformed records are reported once per key
// (a watch repeats them on every write) and keys outside the layout only advance the revision.
class EtcdRecordReader {
public:
    explicit EtcdRecordReader(ClusterState *state);

    void put(const QByteArray &key, const QByteArray &value, qint64 revision);
    void remove(const QByteArray &key, qint64 revision);
    void reset(const QList<EtcdKeyValue> &kvs, qint64 revision);
    void noteRevision(qint64 revision);
    // Applies a watch message's events in order (or notes a progress notification's revision)
    // and returns the revision everything has now been seen up to: the highest event
    // mod_revision, or the header revision of a progress notification; `seen` when the message
    // tells nothing new.
    qint64 apply(const EtcdWatchMessage &message, qint64 seen);
    const Keyspace &keyspace() const { return m_keyspace; }

private:
    struct Decoded; // one key/value, read
    Decoded decode(const QString &key, const QByteArray &value);
    void warnOnce(const QString &key, const QString &message);

    QPointer<ClusterState> m_state;
    Keyspace m_keyspace;
    QSet<QString> m_warnedKeys;
};
