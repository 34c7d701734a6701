#pragma once

#include <QString>

namespace Portolan {
QString version();
}
