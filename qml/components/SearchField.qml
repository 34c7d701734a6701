import QtQuick
import QtQuick.Controls
import Portolan.Dashboard

TextField {
    id: field
    placeholderText: qsTr("Filter (Ctrl+F)")
    color: Theme.text
    placeholderTextColor: Theme.subtext
    selectByMouse: true
    background: Rectangle {
        implicitWidth: 240
        implicitHeight: 32
        radius: Theme.radius
        color: Theme.surface
        border.color: field.activeFocus ? Theme.accent : Theme.border
    }
    Keys.onEscapePressed: text = ""
}
