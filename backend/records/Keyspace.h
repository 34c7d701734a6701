#pragma once

#include <QString>

// Where Portolan keeps its own records in etcd, under one prefix (default /portolan):
//   <prefix>/hosts/<hostname>          the agent's host record
//   <prefix>/services/<hostname>/<id>  one detail record per service
//   <prefix>/balancers/<name>          a running portolan-lb's record
// The registrator-compatible keys (/services/<name>/<id>) are the registry's, not this layout's.
class Keyspace {
public:
    static QString defaultPrefix(); // "/portolan"

    explicit Keyspace(QString prefix = defaultPrefix()); // trailing slashes are dropped

    QString prefix() const { return m_prefix; }
    QString root() const; // "<prefix>/": everything Portolan owns
    QString hostsRoot() const;
    QString servicesRoot() const;
    QString hostKey(const QString &hostname) const;
    QString servicesOfHost(const QString &hostname) const; // "<prefix>/services/<hostname>/"
    QString serviceKey(const QString &hostname, const QString &id) const;
    QString balancersRoot() const;
    QString balancerKey(const QString &name) const;

    struct Key {
        enum class Kind { Other, Host, Service, Balancer };
        Kind kind = Kind::Other;
        QString host; // hosts and services
        QString id;   // services: the service id; balancers: the balancer's name
    };
    // What a key names; Other for anything outside the layout (and for "<prefix>/hosts/a/b").
    Key parse(const QString &key) const;

private:
    QString m_prefix;
};
