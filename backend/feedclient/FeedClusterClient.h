#pragma once

#include "records/Records.h"

#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QUrl>
#include <optional>

class ClusterState;
class QTimer;
class QWebSocket;

// Feeds a ClusterState from an agent's WebSocket feed (docs/feed.md) instead of etcd: the feed's
// host, service and balancer objects are decoded into records (records/Records.h), a snapshot
// becomes resetToSnapshot, deltas become upserts and removals, and the agent's status frames become
// the state's status. The event log is rebuilt by ClusterState from those changes (the feed's own
// events are not replayed). Reconnects with backoff (0.2 s to 5 s) and starts again from a fresh
// snapshot.
class FeedClusterClient : public QObject {
    Q_OBJECT
public:
    FeedClusterClient(ClusterState *state, QObject *parent = nullptr);
    ~FeedClusterClient() override;

    // `url` is ws[s]://host:port/ws; the token is sent as "Authorization: Bearer".
    void open(const QUrl &url, const QString &token = {});
    void close();
    QUrl url() const { return m_url; }
    QString agentHostname() const { return m_agentHostname; }
    int snapshotCount() const { return m_snapshots; }

    // One text frame from the server (public so tests can feed recorded frames).
    void handleMessage(const QString &text);

Q_SIGNALS:
    void snapshotApplied(qint64 revision);

private:
    void connectNow();
    void onDisconnected();
    // A feed service in this state's keyspace: its own key when it lies there, otherwise the
    // key of the same shape.
    // nullopt when it names no host or id.
    std::optional<ServiceRecord> serviceRecord(const QJsonObject &service) const;
    bool isHostName(const QString &hostname) const; // one key segment
    bool isBalancerName(const QString &name) const; // one key segment
    QString where() const;

    QPointer<ClusterState> m_state;
    QWebSocket *m_socket;
    QTimer *m_retryTimer;
    QUrl m_url;
    QString m_token;
    QString m_agentHostname;
    bool m_open = false;
    int m_backoffMs = 0;
    int m_snapshots = 0;
};
