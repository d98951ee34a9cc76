'use strict';

class StatusPanel {
  constructor(api, render) {
    this.api = api;
    this.render = render;
  }

  async refresh(jobId) {
    this.render(await this.api.status(jobId));
  }
}

module.exports = { StatusPanel };
