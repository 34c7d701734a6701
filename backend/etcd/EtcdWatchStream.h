#pragma once

#include "etcd/EtcdClient.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>

class EtcdConnection;

// One object of the v3 watch stream (the gateway writes one JSON object per line).
struct EtcdWatchMessage {
    struct Event {
        bool isDelete = false; // "type":"DELETE"; an absent type means PUT
        EtcdKeyValue kv;
        EtcdKeyValue prevKv; // empty unless the watch asked for prev_kv
    };
    bool valid = false;        // the line was a JSON object
    QString error;             // {"error":{...}}: the stream failed (e.g. "etcdserver: no leader")
    int errorCode = 0;         // its gRPC code
    qint64 headerRevision = 0; // 0 when the header carries none (canceled responses)
    bool created = false;
    bool canceled = false;
    qint64 compactRevision = 0; // with canceled: the start revision was compacted away
    QString cancelReason;
    QList<Event> events;

    bool isProgress() const
    {
        return valid && error.isEmpty() && !created && !canceled && events.isEmpty();
    }
    static EtcdWatchMessage parse(const QByteArray &line);
};

// What a watch asks etcd for.
struct EtcdWatchRequest {
    QByteArray prefix;        // every key under it
    qint64 startRevision = 0; // the first revision to send; 0: from now on
    bool prevKv = false;
    bool progressNotify = false;
};

// One /v3/watch stream through the gateway, for every reader of etcd (the cluster picture,
// the key tree, the balancer): it opens the stream, cuts it into lines (each bounded by the
// client's reply cap), parses them, and says once, in a sentence, why it ended. What to do
// next (resume from a revision, list again after a compaction, back off) is the owner's: only
// it knows what it has seen.
class EtcdWatchStream : public QObject {
    Q_OBJECT
public:
    EtcdWatchStream(EtcdClient *client, EtcdWatchRequest request, QObject *parent = nullptr);
    ~EtcdWatchStream() override;

    // Opens the stream on the client's current endpoint.
    void open();
    // Drops the stream without a signal.
    void close();
    bool isOpen() const { return m_connection != nullptr; }
    QString endpoint() const { return m_endpoint; } // where it was opened

Q_SIGNALS:
    void dataArrived(); // any bytes: the stream is alive
    // A message; the owner may close() or delete the stream from here.
    void message(const EtcdWatchMessage &message);
    // The stream ended by itself: closed by etcd, failed or refused (`garbage` false), or it
    // sent something that is not a watch message, or one over the reply cap (`garbage` true).
    // The sentence names etcd's address. Not emitted after close().
    void ended(const QString &reason, bool garbage);

private:
    void onData(const QByteArray &data);
    void onFinished();
    bool deliver(const QByteArray &line); // false once the stream is gone
    void end(const QString &reason, bool garbage);
    QString where() const;

    QPointer<EtcdClient> m_client;
    EtcdWatchRequest m_request;
    EtcdConnection *m_connection = nullptr; // its own, not a pooled one
    QString m_endpoint;
    QByteArray m_buffer;
    quint64 m_generation = 0; // bumped by close(), so a handler can tell it was closed
};
