#pragma once

#include "cluster/EtcdRecordReader.h"
#include "etcd/EtcdClient.h"
#include "etcd/EtcdWatchStream.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>

class ClusterState;
class QTimer;

// Drives a ClusterState from etcd alone:
//
//  1. range <prefix>/ (one request; its header revision is R) -> ClusterState::resetToSnapshot
//  2. watch <prefix>/ from R+1 with prev_kv and progress_notify through the gateway's /v3/watch
//     stream, applying events in order and remembering the last revision seen (the highest
//     event mod_revision, or the header revision of a progress notification - never the header
//     of an event batch, which can run ahead of the events while etcd catches a watcher up).
//  3. When the stream ends or fails: status Connecting (with the reason), reconnect with capped
//     backoff (100 ms doubling to 2 s) and resume the watch from last revision + 1, so nothing
//     is missed and nothing is listed again.
//  4. When etcd answers "canceled" with compact_revision (the resume point was compacted away),
//     list again; resetToSnapshot turns the differences into events. errorString then says
//     "etcd compacted to revision N; reloaded at revision M" while the status is Ready, and
//     reloaded() is emitted.
//
// Liveness. etcd's progress notifications come every 10 minutes by default, far too late to
// notice a dead or leaderless member, and the gateway's watch is a one-way HTTP stream we cannot
// ping through. So while watching, the source sends a probe every probeIntervalMs (default 3 s):
// a linearizable range of at most one key, keys only, carrying Grpc-Metadata-hasleader like every
// EtcdClient request. It costs etcd one read index and answers at once with "no leader" when the
// member has lost quorum (the watch stream itself gets the same error from etcd a little later).
// A probe failure sets status Error with the reason ("etcd ... has no leader ..."), drops the
// stream and reconnects with backoff. A probe that only succeeded on another endpoint (failover)
// moves the watch there. Before every (re)connection the same probe runs first, so the stream is
// opened on an endpoint that just answered and has a leader. While the stream delivers data no
// probe is needed (etcd commits nothing without a leader), and a probe that fails while data
// keeps arriving is not taken as a fault: under a heavy write load the probe may be slow
// to come back although the watch is plainly alive.
class EtcdClusterSource : public QObject {
    Q_OBJECT
public:
    struct Options {
        int probeIntervalMs = 3000;
        int minBackoffMs = 100;
        int maxBackoffMs = 2000;
    };

    EtcdClusterSource(EtcdClient *client, ClusterState *state, QObject *parent = nullptr);
    EtcdClusterSource(EtcdClient *client, ClusterState *state, const Options &options,
                      QObject *parent = nullptr);
    ~EtcdClusterSource() override;

    void start();
    void stop(); // status Disconnected; the picture stays as it was
    bool isRunning() const { return m_running; }

    // The etcd range the source lists and watches: "<portolanPrefix>/".
    QByteArray watchedPrefix() const { return m_prefix; }
    qint64 lastRevision() const { return m_lastRevision; }
    bool isWatching() const { return m_watching; }
    int listCount() const { return m_listCount; } // full listings so far (1 + reloads)

    // Drops the watch stream and resumes it, as after a network fault (tests use it to make the
    // source resume from a compacted revision on demand).
    void restartWatch();

Q_SIGNALS:
    void watchStarted(qint64 fromRevision); // etcd confirmed the watch
    // A full listing replaced the picture because etcd compacted past our resume point.
    void reloaded(qint64 revision, qint64 compactRevision);

private:
    void connectNow();
    void list();
    void openWatch();
    void handleMessage(const EtcdWatchMessage &message);
    void probe();
    void dropStream();
    // Gives up on the current attempt: status (Connecting or Error) with `reason`, then retry.
    void retryLater(const QString &reason, bool isError);
    void retryAfter(const EtcdResponse &r, bool isError);
    QString where() const;
    static bool isNoLeader(const QString &message);
    static QString noLeaderText(const QString &where);

    QPointer<EtcdClient> m_client;
    QPointer<ClusterState> m_state;
    EtcdRecordReader m_reader; // etcd key/values into m_state
    Options m_options;
    QByteArray m_prefix;
    bool m_running = false;
    quint64 m_attempt = 0;               // invalidates callbacks of an abandoned attempt
    EtcdWatchStream *m_stream = nullptr; // the open watch, or none
    QString m_streamEndpoint;
    bool m_watching = false;
    bool m_needList = true;
    bool m_probeInFlight = false;
    QElapsedTimer m_lastStreamData; // the stream's last bytes: proof of life while it talks
    qint64 m_lastRevision = 0;
    qint64 m_compactRevision = 0; // set while a reload after compaction is pending/being noted
    int m_backoffMs = 0;
    int m_listCount = 0;
    QTimer *m_retryTimer;
    QTimer *m_probeTimer;
};
