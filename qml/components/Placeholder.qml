import QtQuick
import QtQuick.Controls
import Portolan.Dashboard

// Centered grey text for an empty list.
Label {
    textFormat: Text.PlainText
    property string hint: ""
    anchors.centerIn: parent
    width: Math.min(parent.width - 40, 520)
    horizontalAlignment: Text.AlignHCenter
    wrapMode: Text.Wrap
    color: Theme.subtext
    font.pixelSize: 15
    text: hint
    visible: hint !== ""
}
