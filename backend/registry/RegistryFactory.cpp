#include "registry/RegistryFactory.h"

#include "registry/Etcd2Registry.h"
#include "registry/EtcdV3Registry.h"
#include "registry/SkyDnsRegistry.h"

DeclarativeRegistry *createRegistry(const RegistryConfig &config, QObject *parent)
{
    switch (config.backend) {
    case RegistryConfig::Backend::EtcdV2:
        return new Etcd2Registry(config, parent);
    case RegistryConfig::Backend::SkyDns2:
        return new SkyDnsRegistry(config, parent);
    case RegistryConfig::Backend::EtcdV3:
        break;
    }
    return new EtcdV3Registry(config, parent);
}
