#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QStringList>

class ClusterState;
class EtcdClient;
class EtcdClusterSource;
class FeedServer;
class KeyTree;

// The agent's -feed: the cluster picture read back from etcd (ClusterState), served to
// browsers and dashboards by a FeedServer. Reads only; it shares the registry's etcd client.
class AgentFeed : public QObject {
    Q_OBJECT
public:
    struct Settings {
        QString listen;    // ADDR:PORT
        QString tokenFile; // may be empty on loopback
        QString certFile, keyFile;
        QString hostname;
        QString portolanPrefix;
        QString registryPrefix;   // the Keys view shows these two subtrees only
        QStringList allowedHosts; // -feed-allowed-hosts
    };
    AgentFeed(EtcdClient *client, Settings settings, QObject *parent = nullptr);
    ~AgentFeed() override;

    // Binds the port; returns an error sentence or an empty string.
    QString start();
    // The URL a person opens, with the listen address as given ("http://127.0.0.1:8080/").
    QString url() const;

private:
    Settings m_settings;
    ClusterState *m_state;
    EtcdClusterSource *m_source;
    KeyTree *m_tree;
    int m_maxConnections = 0;
    int m_idleSeconds = 0;
    int m_refusedSinceLog = 0;
    QElapsedTimer m_refusedLog;
    int m_requestsRefusedSinceLog = 0;
    QElapsedTimer m_requestsRefusedLog;
    FeedServer *m_server = nullptr;
};
