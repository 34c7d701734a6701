#pragma once

#include "registry/EtcdV3Registry.h"

// skydns2://host:port/domain: SkyDNS 2 records on the etcd v3 lease, e.g.
//   /skydns/local/cluster/redis/core-01-redis-1-6379 = {"host":"10.0.0.5","port":49153}
// Same lease, detail records, batching and fault handling as EtcdV3Registry; only the key and
// value differ. config.prefix is already "/skydns/<domain labels reversed>" (parseUri).
class SkyDnsRegistry : public EtcdV3Registry {
    Q_OBJECT
public:
    explicit SkyDnsRegistry(const RegistryConfig &config, QObject *parent = nullptr);

    QString describe() const override;
    QString serviceKey(const ServiceDefinition &service) const override;
    QByteArray serviceValue(const ServiceDefinition &service) const override;

    // One DNS label: lower case, [a-z0-9-] only (others become '-', repeats collapsed, no '-' at
    // either end), at most 63 characters; a truncated label ends in a short hash of the input so
    // two long names stay distinct. Empty input gives "x".
    static QString dnsLabel(const QString &text);
};
