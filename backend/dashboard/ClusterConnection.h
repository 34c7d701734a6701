#pragma once

#include "cluster/ClusterState.h"
#include "dashboard/KeyTreeSource.h"
#include "etcd/EtcdClient.h"

#include <QObject>
#include <QPointer>
#include <QUrl>
#include <QVariantList>
#include <QVariantMap>

class EtcdClusterSource;
class FeedClusterClient;

// Where the dashboard's picture comes from: etcd directly (EtcdClient + EtcdClusterSource) or an
// agent's WebSocket feed (FeedClusterClient). Either way the views read one ClusterState
// (`state`, replaced on every new connection) and one KeyTreeSource (`keySource`).
// Connection profiles (name, mode, target) are remembered with QSettings; secrets never are.
class ClusterConnection : public QObject {
    Q_OBJECT
    Q_PROPERTY(ClusterState *state READ state NOTIFY stateChanged)
    Q_PROPERTY(KeyTreeSource *keySource READ keySource NOTIFY stateChanged)
    Q_PROPERTY(QString mode READ mode NOTIFY stateChanged)     // "etcd", "feed" or ""
    Q_PROPERTY(QString target READ target NOTIFY stateChanged) // endpoints or the feed URL
    Q_PROPERTY(QString description READ description NOTIFY stateChanged)
    Q_PROPERTY(QString portolanPrefix READ portolanPrefix WRITE setPortolanPrefix NOTIFY
                   portolanPrefixChanged)
    Q_PROPERTY(QString statusName READ statusName NOTIFY statusChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY statusChanged)
    Q_PROPERTY(QVariantMap health READ health NOTIFY healthChanged)
    Q_PROPERTY(QVariantList profiles READ profiles NOTIFY profilesChanged)
public:
    explicit ClusterConnection(QObject *parent = nullptr);
    ~ClusterConnection() override;

    ClusterState *state() const { return m_state; }
    KeyTreeSource *keySource() const { return m_keySource; }
    QString mode() const { return m_mode; }
    QString target() const { return m_target; }
    QString description() const;
    QString portolanPrefix() const { return m_prefix; }
    void setPortolanPrefix(const QString &prefix);
    QString statusName() const;
    QString errorString() const;
    QVariantMap health() const { return m_health; }
    QVariantList profiles() const;

    void connectToEtcd(const EtcdClientOptions &options);
    // "http://a:2379,http://b:2379"; a bare host:port gets http://.
    Q_INVOKABLE void connectToEtcd(const QString &endpoints);
    // ws[s]://host:port/ws; http(s) URLs are turned into the feed's /ws.
    Q_INVOKABLE void connectToFeed(const QString &url, const QString &token = {});
    Q_INVOKABLE void disconnectFromCluster();
    // Asks etcd for its version, db size, leader and members (etcd mode only); fills `health`:
    // ok, version, dbSize, hasLeader, endpoint, members (names) or error / membersError.
    Q_INVOKABLE void refreshHealth();

    Q_INVOKABLE void saveProfile(const QString &name);
    Q_INVOKABLE void removeProfile(const QString &name);
    Q_INVOKABLE bool connectProfile(const QString &name, const QString &token = {});
    // Connects to what was used last; false when nothing was remembered.
    Q_INVOKABLE bool connectLast();

    static QStringList parseEndpoints(const QString &endpoints);
    static QUrl feedSocketUrl(const QString &url); // the /ws URL for any feed URL

Q_SIGNALS:
    void stateChanged();
    void portolanPrefixChanged();
    void statusChanged();
    void healthChanged();
    void profilesChanged();

private:
    void startNew(const QString &mode, const QString &target);
    void remember();

    QString m_prefix = Keyspace::defaultPrefix();
    QString m_mode;
    QString m_target;
    QPointer<ClusterState> m_state;
    QPointer<KeyTreeSource> m_keySource;
    EtcdClient *m_client = nullptr;
    EtcdClusterSource *m_source = nullptr;
    FeedClusterClient *m_feed = nullptr;
    QVariantMap m_health;
    QObject *m_healthContext = nullptr;
};
