<?xml version="1.0" encoding="UTF-8"?>
<!-- Copies its source: what the xsltInvalidSource case gives it is not a node. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="/">
    <xsl:copy-of select="."/>
  </xsl:template>
</xsl:stylesheet>
