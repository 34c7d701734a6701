#include "balancer/HaproxyDriver.h"
#include "balancer/LoadBalancer.h"
#include "balancer/NginxDriver.h"

std::unique_ptr<BalancerDriver> createBalancerDriver(const LbOptions &o)
{
    if (o.driver == QLatin1String("nginx")) {
        NginxDriver::Options n;
        n.httpConfigPath = o.nginxHttpConfig;
        n.streamConfigPath = o.nginxStreamConfig;
        n.mainConfigPath = o.nginxMainConfig;
        n.prefix = o.nginxPrefix;
        n.pidFile = o.nginxPidFile;
        n.nginxBinary = o.nginxBinary;
        n.maxFails = o.nginxMaxFails;
        n.failTimeoutSeconds = o.nginxFailTimeoutSeconds;
        return std::make_unique<NginxDriver>(n);
    }
    HaproxyDriver::Options h;
    h.configPath = o.haproxyConfig;
    h.mainConfigPath = o.haproxyMainConfig;
    h.runtimeSocket = o.haproxySocket;
    h.masterSocket = o.haproxyMasterSocket;
    h.haproxyBinary = o.haproxyBinary;
    return std::make_unique<HaproxyDriver>(h);
}
