#pragma once

#include "cluster/KeyTree.h"
#include "etcd/EtcdWatchStream.h"

#include <QUrl>

class QNetworkAccessManager;
class QNetworkReply;

// Changes under a prefix after a revision, as they happen (etcd: a watch). Delete it to stop.
// `ended` is emitted at most once; nothing follows it.
class KeyTreeWatch : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
Q_SIGNALS:
    void changed(const QByteArray &key, bool deleted, qint64 size);
    void ended(const QString &reason);
};

// Where the key tree view reads keys from: etcd itself (KeyTree) or an agent's feed
// (/api/v1/tree and /api/v1/key). Callbacks run later, once, unless `context` is destroyed.
class KeyTreeSource : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    virtual void list(const QByteArray &prefix, const QByteArray &after, int limit,
                      QObject *context, KeyTree::PageCallback callback) = 0;
    virtual void get(const QByteArray &key, QObject *context, KeyTree::ValueCallback callback) = 0;
    virtual QString description() const = 0; // "etcd at 127.0.0.1:2379"
    // Reports changes under `prefix` after `revision`; null when the source cannot (the feed).
    virtual KeyTreeWatch *watch(const QByteArray &prefix, qint64 revision, QObject *parent)
    {
        Q_UNUSED(prefix);
        Q_UNUSED(revision);
        Q_UNUSED(parent);
        return nullptr;
    }
};

class EtcdKeyTreeSource : public KeyTreeSource {
    Q_OBJECT
public:
    explicit EtcdKeyTreeSource(EtcdClient *client, QObject *parent = nullptr);
    void list(const QByteArray &prefix, const QByteArray &after, int limit, QObject *context,
              KeyTree::PageCallback callback) override;
    void get(const QByteArray &key, QObject *context, KeyTree::ValueCallback callback) override;
    QString description() const override;
    KeyTreeWatch *watch(const QByteArray &prefix, qint64 revision, QObject *parent) override;

private:
    QPointer<EtcdClient> m_client;
    KeyTree *m_tree;
};

// A v3 watch through the gateway's /v3/watch stream (one JSON object per line). It does not
// reconnect: on any error, cancel or close it ends, and the model lists again and re-watches.
class EtcdKeyTreeWatch : public KeyTreeWatch {
    Q_OBJECT
public:
    EtcdKeyTreeWatch(EtcdClient *client, const QByteArray &prefix, qint64 revision,
                     QObject *parent = nullptr);
    ~EtcdKeyTreeWatch() override;

private:
    void handleMessage(const EtcdWatchMessage &message);
    void end(const QString &reason);

    EtcdWatchStream *m_stream;
    bool m_ended = false;
};

// The feed's JSON API; `base` is the feed's http(s) URL ("http://10.0.0.5:8080/").
class FeedKeyTreeSource : public KeyTreeSource {
    Q_OBJECT
public:
    FeedKeyTreeSource(const QUrl &base, const QString &token, QObject *parent = nullptr);
    void list(const QByteArray &prefix, const QByteArray &after, int limit, QObject *context,
              KeyTree::PageCallback callback) override;
    void get(const QByteArray &key, QObject *context, KeyTree::ValueCallback callback) override;
    QString description() const override;

    static KeyTreePage pageFromJson(const QJsonObject &o);
    static KeyTreeValue valueFromJson(const QJsonObject &o);

private:
    // GETs path?query; callback gets the JSON object and an error sentence (empty on success).
    void getJson(const QString &path, const QList<std::pair<QString, QString>> &query,
                 QObject *context, std::function<void(const QJsonObject &, const QString &)> cb);

    QUrl m_base;
    QString m_token;
    QNetworkAccessManager *m_network;
};
